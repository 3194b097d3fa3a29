"""The program templates Tupa ships with, from the organisations' project descriptions (pure).

Names and themes are the organisations' Finnish content, not interface text, so they are data here
and not in the Babel catalogues; names carry their Swedish and English too (server/localised.py).
A coordinator edits everything per series, in each language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.scheduling.recurrence import Cadence
from server.scheduling.series import LifeSituation, MediaMode


@dataclass(frozen=True)
class ProgramTemplate:
    slug: str
    name: str
    description: str
    life_situation: LifeSituation
    media_mode: MediaMode
    session_count: int
    duration_minutes: int
    cadence: Cadence
    capacity: int
    min_size: int
    themes: list[str] = field(default_factory=list)
    name_sv: str | None = None
    name_en: str | None = None
    # Whether its series are on the public lists by default (a coordinator may change it per
    # series): a training for volunteers-to-be is not what parents look for there.
    listed: bool = True


PROGRAM_TEMPLATES: tuple[ProgramTemplate, ...] = (
    ProgramTemplate(
        slug="eron-jalkeinen-vanhemmuus",
        name="Tukea eron jälkeiseen vanhemmuuteen",
        name_sv="Stöd för föräldraskapet efter skilsmässan",
        name_en="Support for parenting after separation",
        description=(
            "Ohjattu ryhmächat eron jälkeisestä vanhemmuudesta. Ryhmä kokoontuu kahdeksan kertaa, "
            "ja jokaisella kerralla on oma teemansa."
        ),
        life_situation=LifeSituation.SEPARATION,
        media_mode=MediaMode.CHAT,
        session_count=8,
        duration_minutes=90,
        cadence=Cadence.WEEKLY,
        capacity=10,
        min_size=4,
        themes=[
            "Tutustuminen ja omat toiveet",
            "Eron tuomat muutokset aikuisen ja lapsen elämässä",
            "Yhteistyövanhemmuus",
            "Lapsen tunteet ja tarpeet vanhempien erotessa",
            "Vanhemmuus ja lapsen arki",
            "Vuorovaikutustavat",
            "Ongelmista kohti uusia ratkaisuja",
            "Uudet suhteet ja vanhemmuus",
        ],
    ),
    ProgramTemplate(
        slug="eroneuvo-live",
        name="Tietoa ja tukea lapsiperheen eroon",
        name_sv="Information och stöd när en barnfamilj skiljs",
        name_en="Information and support when a family with children separates",
        description=(
            "Eroneuvo live: kuukausittainen suora lähetys kuukauden ensimmäisenä torstaina. "
            "Ammattilainen ja vapaaehtoinen kokemusasiantuntija keskustelevat yhteistyövanhemmuudesta "
            "ja lapsen kokemuksesta; katsojat kysyvät chatissa."
        ),
        life_situation=LifeSituation.SEPARATION,
        media_mode=MediaMode.STAGE,
        session_count=4,
        duration_minutes=45,
        cadence=Cadence.MONTHLY,
        capacity=100,
        min_size=1,
        themes=[
            "Yhteistyövanhemmuus arjessa",
            "Lapsen kokemus vanhempien erosta",
            "Sopimukset ja tapaamiset",
            "Juhlapyhät kahdessa kodissa",
        ],
    ),
    ProgramTemplate(
        slug="vanhemman-neuvo",
        name="Vanhemman neuvo -ryhmä verkossa",
        name_sv="Föräldrarådgruppen på nätet",
        name_en="Parent's advice group online",
        description="Vanhempien neuvoryhmä verkossa: vertaistukea ja ammattilaisen neuvoja arjen kysymyksiin.",
        life_situation=LifeSituation.UNDER_SCHOOL_AGE,
        media_mode=MediaMode.GROUP,
        session_count=6,
        duration_minutes=75,
        cadence=Cadence.WEEKLY,
        capacity=8,
        min_size=5,
        themes=[
            "Tutustuminen",
            "Arjen rytmi ja rutiinit",
            "Rajat ja rakkaus",
            "Vanhemman jaksaminen",
            "Sisarussuhteet",
            "Yhteenveto",
        ],
    ),
    ProgramTemplate(
        slug="mina-tunteet-taidot",
        name="Minä, tunteet ja taidot",
        name_sv="Jag, känslor och färdigheter",
        name_en="Me, emotions and skills",
        description=(
            "Yhdeksän kerran vertaisryhmä verkossa. Ammattilaisen ohjaamat teemalliset tapaamiset ja "
            "toiminnalliset harjoitukset tunteiden säätelystä ja aggression hallinnasta. Mahdollisuus "
            "yksilötapaamisiin. Itsearviointi alussa ja lopussa."
        ),
        life_situation=LifeSituation.WELLBEING,
        media_mode=MediaMode.GROUP,
        session_count=9,
        duration_minutes=90,
        cadence=Cadence.WEEKLY,
        capacity=8,
        min_size=4,
        themes=[
            "Tutustuminen ja omat tavoitteet",
            "Tunteet ja niiden tunnistaminen",
            "Tunteiden säätely",
            "Viha ja aggression hallinta",
            "Stressi ja palautuminen",
            "Vuorovaikutus ja kuunteleminen",
            "Omat vahvuudet",
            "Taidot arjessa",
            "Yhteenveto ja loppuarviointi",
        ],
    ),
    ProgramTemplate(
        slug="aktiivinen-osallisuus",
        name="Aktiivinen osallisuus arjessa",
        name_sv="Aktiv delaktighet i vardagen",
        name_en="Active participation in everyday life",
        description=(
            "Kokonaan verkossa toimivat ohjatut vertaisryhmät. Osallistujat voivat myöhemmin jatkaa "
            "vertaisvapaaehtoisina uusissa ryhmissä."
        ),
        life_situation=LifeSituation.CHILD_PROTECTION,
        media_mode=MediaMode.GROUP,
        session_count=6,
        duration_minutes=90,
        cadence=Cadence.WEEKLY,
        capacity=8,
        min_size=4,
        themes=[
            "Tutustuminen",
            "Oma arki ja voimavarat",
            "Osallisuus omissa asioissa",
            "Verkostot ja tuki",
            "Tulevaisuuden suunnitelmat",
            "Vertaisena toimiminen",
        ],
    ),
    ProgramTemplate(
        slug="vertaisvoimaa",
        name="Vertaisvoimaa vanhemmille",
        name_sv="Kamratkraft för föräldrar",
        name_en="Peer power for parents",
        description=(
            "Vertaisryhmä 3–6-vuotiaiden lasten vanhemmille, joiden lapsen käytös tuntuu haastavalta."
        ),
        life_situation=LifeSituation.UNDER_SCHOOL_AGE,
        media_mode=MediaMode.GROUP,
        session_count=6,
        duration_minutes=75,
        cadence=Cadence.WEEKLY,
        capacity=8,
        min_size=4,
        themes=[
            "Tutustuminen",
            "Lapsen käytöksen ymmärtäminen",
            "Myönteinen huomio",
            "Rajat ja rauhoittuminen",
            "Vanhemman omat tunteet",
            "Yhteenveto",
        ],
    ),
    ProgramTemplate(
        slug="stressista-saatelyyn",
        name="Stressistä säätelyyn",
        name_sv="Från stress till reglering",
        name_en="From stress to regulation",
        description=(
            "Ryhmämalli vauvaa odottaville ja vauvaperheille: stressi, itsesäätely, perheen talouden "
            "hallinta ja vertaistuki."
        ),
        life_situation=LifeSituation.BABY,
        media_mode=MediaMode.GROUP,
        session_count=6,
        duration_minutes=90,
        cadence=Cadence.WEEKLY,
        capacity=8,
        min_size=4,
        themes=[
            "Tutustuminen",
            "Stressi perheessä",
            "Itsesäätely",
            "Perheen talouden hallinta",
            "Vauva ja vuorovaikutus",
            "Vertaistuki ja jatko",
        ],
    ),
    ProgramTemplate(
        slug="vanhemmalta-vanhemmalle",
        name="Vanhemmalta vanhemmalle",
        name_sv="Från förälder till förälder",
        name_en="Parent to parent",
        description=(
            "Pienet vertaisryhmät (6–7 henkeä), joita ohjaavat koulutetut kokemuskumppanit "
            "ammattilaisen tuella."
        ),
        life_situation=LifeSituation.CHILD_PROTECTION,
        media_mode=MediaMode.GROUP,
        session_count=8,
        duration_minutes=90,
        cadence=Cadence.WEEKLY,
        capacity=7,
        min_size=6,
        themes=[],
    ),
    # Asiakkaasta kumppaniksi trains experience partners (kokemuskumppani) who then lead
    # Vanhemmalta vanhemmalle groups: 100+ hours over 4–5 months, here 20 weekly training days of
    # five hours (100 h over 19 weeks), then regular supervision. Trainees enrol as parents do,
    # so their attendance and commitment percentage are reported like any series (README,
    # "From participant to peer volunteer").
    ProgramTemplate(
        slug="kokemuskumppanikoulutus",
        name="Kokemuskumppanikoulutus",
        name_sv="Utbildning för erfarenhetspartner",
        name_en="Experience partner training",
        listed=False,
        description=(
            "Asiakkaasta kumppaniksi: koulutus vanhemmille, joilla on kokemus "
            "lastensuojelusta ja jotka haluavat ohjata Vanhemmalta vanhemmalle -ryhmiä "
            "kokemuskumppaneina. Yli 100 tuntia 4–5 kuukauden aikana, sen jälkeen säännöllinen "
            "työnohjaus."
        ),
        life_situation=LifeSituation.CHILD_PROTECTION,
        media_mode=MediaMode.GROUP,
        session_count=20,
        duration_minutes=300,
        cadence=Cadence.WEEKLY,
        capacity=21,
        min_size=6,
        themes=[
            "Tutustuminen ja koulutuksen tavoitteet",
            "Oma tarina ja sen kertominen",
            "Kokemusasiantuntijuus ja kokemuskumppanin rooli",
            "Lastensuojelun prosessit ja palvelut",
            "Lapsen oikeudet ja lapsen näkökulma",
            "Vuorovaikutus ja kuunteleminen",
            "Vertaistuen perusteet",
            "Ryhmän ohjaaminen: suunnittelu",
            "Ryhmän ohjaaminen: turvallinen tila",
            "Vaikeat tilanteet ryhmässä",
            "Rajat, jaksaminen ja oma hyvinvointi",
            "Vaitiolo, tietosuoja ja anonymiteetti",
            "Työskentely ammattilaisen parina",
            "Verkkoryhmän ohjaaminen Tuvassa",
            "Harjoitusryhmä 1",
            "Harjoitusryhmä 2",
            "Harjoitusryhmä 3",
            "Palautteen antaminen ja saaminen",
            "Vaikuttamistyö ja kehittäminen",
            "Yhteenveto ja todistusten jako",
        ],
    ),
    ProgramTemplate(
        slug="kokemuskumppanien-tyonohjaus",
        name="Kokemuskumppanien työnohjaus",
        name_sv="Handledning för erfarenhetspartner",
        name_en="Supervision for experience partners",
        description=(
            "Säännöllinen työnohjaus koulutetuille kokemuskumppaneille, jotka ohjaavat "
            "vertaisryhmiä: kuukausittain ammattilaisen johdolla."
        ),
        life_situation=LifeSituation.CHILD_PROTECTION,
        media_mode=MediaMode.GROUP,
        session_count=10,
        duration_minutes=90,
        cadence=Cadence.MONTHLY,
        capacity=12,
        min_size=3,
        themes=[],
    ),
    ProgramTemplate(
        slug="lasso-perhekurssit",
        name="LASSO-perhekurssit",
        name_sv="LASSO-familjekurser",
        name_en="LASSO family courses",
        description=(
            "Avoimet alueelliset perhekurssit, jotka valitaan elämäntilanteen eikä diagnoosin mukaan."
        ),
        life_situation=LifeSituation.SCHOOL_AGE,
        media_mode=MediaMode.GROUP,
        session_count=5,
        duration_minutes=120,
        cadence=Cadence.WEEKLY,
        capacity=12,
        min_size=5,
        themes=[
            "Perheen arki ja voimavarat",
            "Lapsen kasvu ja kehitys",
            "Vanhemmuus ja jaksaminen",
            "Palvelut ja tuki",
            "Yhteenveto",
        ],
    ),
)


def template_by_slug(slug: str) -> ProgramTemplate | None:
    """The shipped template with this slug, if any."""
    return next((t for t in PROGRAM_TEMPLATES if t.slug == slug), None)
