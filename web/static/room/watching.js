// "N watching" on a stage (pure: no DOM, no socket).
//
// The server tells the audience how many are watching, never who (docs/protocol.md, "Stage"). The
// page gives one template per plural category of its language, made by ngettext on the server
// (`watching_one`, `watching_two` for the dual of Northern Sámi, `watching_other`, …); the category
// comes from the browser's plural rules.

/** The template for `count` people watching in language `lang`, or null when there is none. */
export function watchingTemplate(strings, lang, count) {
  if (!Number.isInteger(count) || count < 0) return null;
  let category = "other";
  try {
    category = new Intl.PluralRules(lang).select(count);
  } catch {
    // an unknown language: the general form
  }
  return strings[`watching_${category}`] || strings.watching_other || null;
}
