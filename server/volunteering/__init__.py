"""From participant to peer volunteer: invitations, and the account a parent makes by accepting."""
