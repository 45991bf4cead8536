/** How to let a refused destination through; shared by the run result and the environment check. */
export const blockedHint =
  "Point adapterConfig.url at a public address, or have the board allow-list the destination " +
  "(exact host[:port] or CIDR) in the instance outbound settings (PATCH /api/instance/settings/outbound) " +
  "or the operator set STAPLE_OUTBOUND_ALLOW";
