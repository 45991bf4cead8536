import { z } from "zod";
import { NullableTimestamp, Timestamp, Uuid } from "./common.js";
import { CLI_AUTH_CHALLENGE_STATUSES, JOIN_REQUEST_STATUSES } from "./enums.js";

function frozen<const T extends readonly string[]>(values: T): T {
  return Object.freeze(values) as T;
}

/**
 * Roles of a user in one company (authenticated mode), strongest first. What each may do is the
 * table in docs/agents-and-auth.md and `auth/roles.ts` on the server. Mirrored by CHECK constraints
 * (migration 0016; schema.test.ts).
 */
export const COMPANY_ROLES = frozen(["owner", "admin", "member", "viewer"]);
export type CompanyRole = (typeof COMPANY_ROLES)[number];

/** Paperclip calls the everyday role `operator`; accepted as a synonym of `member` on input. */
export const CompanyRoleInput = z
  .enum([...COMPANY_ROLES, "operator"])
  .transform((role): CompanyRole => (role === "operator" ? "member" : role));

const Email = z.string().trim().toLowerCase().pipe(z.email().max(320));
/** At least 10 characters; the upper bound keeps scrypt's input small. */
const Password = z.string().min(10, "Password must be at least 10 characters").max(200);

export const SignUpBody = z.strictObject({
  email: Email,
  password: Password,
  name: z.string().trim().min(1).max(120).optional(),
  /** The one-time setup code from the server log (first user only). */
  setupCode: z.string().min(1).max(200).optional(),
  /** An invite token: sign up and accept it in one step. */
  inviteToken: z.string().min(1).max(200).optional(),
});
export const SignInBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) });

export const AuthUser = z
  .object({ id: z.string(), email: z.string().nullable(), name: z.string().nullable(), isInstanceAdmin: z.boolean() })
  .meta({ id: "AuthUser" });
export const Membership = z
  .object({ companyId: z.string(), companyName: z.string(), role: z.enum(COMPANY_ROLES) })
  .meta({ id: "Membership" });
export const AuthMe = z
  .object({
    user: AuthUser,
    memberships: z.array(Membership),
    source: z.enum(["session", "board_key", "local_implicit"]),
  })
  .meta({ id: "AuthMe" });
export const AuthStatus = z
  .object({
    deploymentMode: z.enum(["local_trusted", "authenticated"]),
    /** Authenticated mode with no user yet: the owner signs up with the setup code from the log. */
    setupRequired: z.boolean(),
  })
  .meta({ id: "AuthStatus" });
export const SignedIn = z.object({ user: AuthUser, expiresAt: Timestamp }).meta({ id: "SignedIn" });
export const SignedOut = z.object({ ok: z.literal(true), revokedSessions: z.number().int(), revokedKeys: z.number().int() });

export const Member = z
  .object({
    id: z.string(),
    companyId: z.string(),
    userId: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    role: z.enum(COMPANY_ROLES),
    createdAt: Timestamp,
  })
  .meta({ id: "Member" });
export const UpdateMemberBody = z.strictObject({
  role: CompanyRoleInput.optional(),
  /** Paperclip's field name for the role. */
  membershipRole: CompanyRoleInput.optional(),
});

export const Invite = z
  .object({
    id: z.string(),
    companyId: z.string(),
    role: z.enum(COMPANY_ROLES),
    requiresApproval: z.boolean(),
    createdByUserId: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    acceptedAt: NullableTimestamp,
    acceptedByUserId: z.string().nullable(),
    revokedAt: NullableTimestamp,
  })
  .meta({ id: "Invite" });
/** The create answer: the only time the token (and the link built from it) is shown. */
export const CreatedInvite = Invite.extend({ token: z.string(), inviteUrl: z.string() }).meta({ id: "CreatedInvite" });
export const CreateInviteBody = z.strictObject({
  role: CompanyRoleInput.optional(),
  /** Paperclip's field name for the role. */
  humanRole: CompanyRoleInput.nullable().optional(),
  requiresApproval: z.boolean().optional(),
  /** Hours until the link expires (default 72, at most 30 days). */
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .optional(),
});
/** What an invite link shows before it is accepted (no secrets). */
export const InvitePreview = z
  .object({
    companyId: z.string(),
    companyName: z.string(),
    role: z.enum(COMPANY_ROLES),
    requiresApproval: z.boolean(),
    expiresAt: Timestamp,
  })
  .meta({ id: "InvitePreview" });
export const InviteAccepted = z
  .object({
    status: z.enum(["joined", "pending_approval"]),
    companyId: z.string(),
    membership: Member.nullable(),
    joinRequestId: z.string().nullable(),
  })
  .meta({ id: "InviteAccepted" });

export const JoinRequest = z
  .object({
    id: z.string(),
    companyId: z.string(),
    userId: z.string(),
    email: z.string().nullable(),
    role: z.enum(COMPANY_ROLES),
    status: z.enum(JOIN_REQUEST_STATUSES),
    createdAt: Timestamp,
    decidedAt: NullableTimestamp,
  })
  .meta({ id: "JoinRequest" });

export const CreateCliAuthChallengeBody = z.strictObject({
  command: z.string().min(1).max(240),
  clientName: z.string().max(120).nullable().optional(),
  /** Paperclip's fields; accepted, the key is always a board key of the approving user. */
  requestedAccess: z.enum(["board", "instance_admin_required"]).optional(),
  requestedCompanyId: Uuid.nullable().optional(),
});
export const CreatedCliAuthChallenge = z
  .object({
    id: z.string(),
    /** The challenge secret: polling and cancelling need it; the approval link carries it. */
    token: z.string(),
    /** The board key the CLI will use once a user approves; useless before that. */
    boardApiToken: z.string(),
    approvalPath: z.string(),
    approvalUrl: z.string(),
    pollPath: z.string(),
    expiresAt: Timestamp,
    suggestedPollIntervalMs: z.number().int(),
  })
  .meta({ id: "CreatedCliAuthChallenge" });
export const CliAuthChallenge = z
  .object({
    id: z.string(),
    status: z.enum([...CLI_AUTH_CHALLENGE_STATUSES, "expired"]),
    command: z.string(),
    clientName: z.string().nullable(),
    expiresAt: Timestamp,
    approvedByUserId: z.string().nullable(),
    boardApiKeyId: z.string().nullable(),
  })
  .meta({ id: "CliAuthChallenge" });
export const CliAuthChallengeQuery = z.object({ token: z.string().min(1).max(200) });
export const ResolveCliAuthChallengeBody = z.strictObject({ token: z.string().min(16).max(256) });
