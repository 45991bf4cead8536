import type * as contracts from "@staple/contracts";

/**
 * Response shapes of the server, inferred from the zod schemas in @staple/contracts (the single
 * source of truth). Type-only: importing this module loads nothing at run time.
 */
type Out<S extends { parse(input: unknown): unknown }> = ReturnType<S["parse"]>;

export type Company = contracts.Company;
export type Agent = contracts.Agent;
export type AgentKey = Out<typeof contracts.AgentKey>;
export type CreatedAgentKey = Out<typeof contracts.CreatedAgentKey>;
export type Issue = contracts.Issue;
export type IssueDetail = Out<typeof contracts.IssueDetail>;
export type Comment = contracts.Comment;
export type HeartbeatRun = Out<typeof contracts.HeartbeatRun>;
export type RunEvent = Out<typeof contracts.RunEvent>;
export type RunLog = Out<typeof contracts.RunLog>;
export type ActivityEntry = Out<typeof contracts.ActivityEntry>;
