// The Pulumi program: reads the stack's config, validates it exactly as check-config does (and
// stops, listing every problem, before registering anything), then declares per integration:
//
//   role ──name──▶ member ──dependsOn──▶ permissions(roleId)      key ◀──identifier── member
//
// A new role is a SecurityRole; an existing one (`role: { existing: Admin }`) is looked up by an
// ExistingSecurityRole and never changed. Its permissions, when declared, are verified either way.
import * as pulumi from "@pulumi/pulumi";
import { ApiKey, ApiMember, ExistingSecurityRole, SecurityRole, SecurityRolePermissions } from "../providers/manage";
import { ResolvedIntegration, ResolvedStack, fromPulumiConfig, formatProblem, validateStack, StackConfigInput, MEMBER_REFERENCE_FIELDS } from "./schema";

/** What `pulumi stack output <integration>` shows. */
export interface IntegrationOutputs {
  roleId?: pulumi.Output<number>;
  roleName?: pulumi.Output<string>;
  memberId: pulumi.Output<number>;
  memberIdentifier: pulumi.Output<string> | string;
  /** Permissions compliant, and the key handed over, verified and compliant. */
  compliant: pulumi.Output<boolean>;
  /** What an admin still has to do, in the UI's words; empty when compliant. */
  actionsRequired: pulumi.Output<string[]>;
  publicKey: pulumi.Output<string>;
  /** Secret. */
  privateKey: pulumi.Output<string>;
  fingerprint: pulumi.Output<string>;
}

/** The program's config in the checks' form: `pulumi.runtime.allConfig()` and which keys are secret. */
export function readStackConfig(env: Record<string, string | undefined> = process.env): StackConfigInput {
  const all = pulumi.runtime.allConfig();
  return fromPulumiConfig(all, secretConfigKeys(Object.keys(all)), { project: pulumi.getProject(), stack: pulumi.getStack(), env });
}

function secretConfigKeys(keys: string[]): string[] {
  // The SDK knows which keys the language host marked secret; it exports that as runtime/config.
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  const isSecret = runtimeConfig.isConfigSecret;
  if (typeof isSecret === "function") return keys.filter((k) => isSecret(k));
  const raw = process.env.PULUMI_CONFIG_SECRET_KEYS;
  return raw ? (JSON.parse(raw) as string[]) : [];
}

/** Validates and resolves; throws one error listing every problem (nothing is registered). */
export function resolveStack(input: StackConfigInput): ResolvedStack {
  const { problems, stack } = validateStack(input);
  if (problems.length > 0 || !stack) {
    const lines = problems.map((p) => `  - ${formatProblem(p, input.project)}`);
    throw new pulumi.RunError(
      `Pulumi.${input.stack}.yaml has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed:\n${lines.join("\n")}\n` +
        `(npm run check-config -- Pulumi.${input.stack}.yaml shows them with line numbers, without touching the tenant)`,
    );
  }
  return stack;
}

/** The whole stack: one set of resources and one output per integration. */
export function cwManageStack(): Record<string, IntegrationOutputs> {
  const stack = resolveStack(readStackConfig());
  const outputs: Record<string, IntegrationOutputs> = {};
  for (const integration of stack.integrations) outputs[integration.name] = declareIntegration(integration, stack);
  return outputs;
}

export function declareIntegration(it: ResolvedIntegration, stack: ResolvedStack): IntegrationOutputs {
  const n = it.name;

  // The role: created, or looked up by name.
  let roleName: pulumi.Output<string> | undefined;
  let roleId: pulumi.Output<number> | undefined;
  if (it.role?.kind === "new") {
    const role = new SecurityRole(`${n}-role`, defined({ name: it.role.name, adopt: it.role.adopt, onDelete: it.role.onDelete }));
    roleName = role.name;
    roleId = role.roleId;
  } else if (it.role?.kind === "existing") {
    const role = new ExistingSecurityRole(`${n}-role`, { name: it.role.name });
    roleName = role.name;
    roleId = role.roleId;
  }

  // The member: an API member the stack manages, or an existing one it only hands a key to.
  let member: ApiMember | undefined;
  if (it.member.kind === "new") {
    const m = it.member;
    const refs = Object.fromEntries(MEMBER_REFERENCE_FIELDS.map((f) => [f, m[f]]));
    member = new ApiMember(
      `${n}-member`,
      defined({
        identifier: m.identifier,
        name: m.name,
        securityRole: roleName!,
        ...refs,
        emailAddress: m.emailAddress,
        notes: m.notes,
        adopt: m.adopt,
        onDelete: m.onDelete,
      }),
    );
  }

  // The role's levels: verified (the API cannot write them), after the member exists, so a strict
  // failure never leaves the member uncreated.
  const permissionsSpec = it.role?.permissions;
  let permissions: SecurityRolePermissions | undefined;
  if (it.role && permissionsSpec && roleId) {
    permissions = new SecurityRolePermissions(
      `${n}-permissions`,
      { roleId, roleName: roleName!, permissions: permissionsSpec, mode: it.role.mode, enforcement: it.role.enforcement },
      member ? { dependsOn: [member] } : undefined,
    );
  }

  // The key: registered once an admin made it in the UI and handed it over as secret config.
  const keyInputs = {
    member: it.member.identifier,
    memberKind: it.member.kind === "new" ? ("api" as const) : ("user" as const),
    description: it.key.description,
    configPath: it.key.configPath,
    stack: stack.stack,
  };
  const privateKey = typeof it.key.privateKey === "string" ? it.key.privateKey : undefined;
  const key = new ApiKey(`${n}-key`, {
    ...defined({
      ...keyInputs,
      member: member ? member.identifier : it.member.identifier,
      expectedPermissions: it.key.verifyPermissions ? permissionsSpec : undefined,
      mode: it.key.verifyPermissions && permissionsSpec ? it.role?.mode : undefined,
      enforcement: it.key.enforcement,
    }),
    // Always present (undefined until handed over), so the resource has these outputs.
    publicKey: it.key.publicKey,
    privateKey: privateKey === undefined ? undefined : pulumi.secret(privateKey),
  });

  const permCompliant: pulumi.Input<boolean> = permissions ? permissions.compliant : true;
  const permActions: pulumi.Input<string[]> = permissions ? permissions.actionsRequired : [];
  const customizeToVerify: pulumi.Input<string[]> = permissions ? permissions.customizeToVerify : [];
  return {
    ...(roleId ? { roleId, roleName } : {}),
    memberId: member ? member.memberId : key.memberId,
    memberIdentifier: member ? member.identifier : it.member.identifier,
    compliant: pulumi
      .all([permCompliant, key.verified, key.compliant])
      .apply(([p, verified, c]) => Boolean(p) && Boolean(verified) && Boolean(c)),
    actionsRequired: pulumi
      .all([permActions, customizeToVerify, key.verified, key.actionsRequired])
      .apply(([levels, customize, verified, keyActions]) =>
        unique([...(levels ?? []), ...(verified ? [] : (customize ?? [])), ...(keyActions ?? [])]),
      ),
    publicKey: key.publicKey.apply((v) => v ?? ""),
    privateKey: pulumi.secret(key.privateKey.apply((v) => v ?? "")),
    fingerprint: key.fingerprint.apply((v) => v ?? ""),
  };
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

/** Drops undefined entries, so optional inputs are simply absent. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
