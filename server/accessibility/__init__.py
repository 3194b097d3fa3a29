"""The accessibility statement the Act on the Provision of Digital Services (306/2019) asks for,
and the feedback it invites, which reaches the coordinators."""
