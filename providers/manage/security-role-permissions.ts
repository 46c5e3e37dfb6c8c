// SecurityRolePermissions: the permission levels a role must have. The public API can read a
// role's settings but never write them, so this resource verifies and guides: it reports each
// change an admin must make in the UI (`actionsRequired`), and never claims to have made one.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ManageApiError } from "./client/errors";
import { securityRoleSettingSchema, SecurityRoleSetting } from "./client/schemas";
import { ManageProvider, clientOf, plainOutputs, strictInputs, withoutProvider } from "./provider-kit";
import { MatchMode, PermissionMatrix, compareLevels, customizeLines, permissionMatrixSchema } from "./permissions";
import { PROVIDER_VERSION } from "./version";

export type Enforcement = "strict" | "advisory";

export interface SecurityRolePermissionsInputs {
  roleId: number;
  /** For messages only. */
  roleName?: string;
  permissions: PermissionMatrix;
  mode?: MatchMode;
  enforcement?: Enforcement;
  providerVersion?: string;
}

export interface SecurityRolePermissionsOutputs extends SecurityRolePermissionsInputs {
  compliant: boolean;
  actionsRequired: string[];
  /** Customize entries asked for: the API cannot read a role's Customize list, the ApiKey verifies them. */
  customizeToVerify: string[];
  observed: PermissionMatrix;
}

const inputSchema = () =>
  strictInputs({
    roleId: z.number({ error: "roleId is required: the id of the SecurityRole (its roleId output)" }).int().positive(),
    roleName: z.string().optional(),
    permissions: permissionMatrixSchema(),
    mode: z.enum(["exact", "atLeast"], { error: 'mode must be "exact" (least privilege) or "atLeast"' }).optional(),
    enforcement: z.enum(["strict", "advisory"], { error: 'enforcement must be "strict" or "advisory"' }).optional(),
  });

class SecurityRolePermissionsProvider extends ManageProvider implements pulumi.dynamic.ResourceProvider {
  protected schema() {
    return inputSchema();
  }

  async diff(_id: string, olds: SecurityRolePermissionsOutputs, news: SecurityRolePermissionsInputs): Promise<pulumi.dynamic.DiffResult> {
    const same =
      olds.roleId === news.roleId &&
      JSON.stringify(olds.permissions) === JSON.stringify(news.permissions) &&
      (olds.mode ?? "exact") === (news.mode ?? "exact") &&
      (olds.enforcement ?? "strict") === (news.enforcement ?? "strict") &&
      olds.roleName === news.roleName &&
      olds.providerVersion === news.providerVersion;
    // A role found out of compliance by refresh is a change to plan: the update re-verifies.
    return { changes: !same || !olds.compliant, replaces: olds.roleId !== news.roleId ? ["roleId"] : [] };
  }

  async create(news: SecurityRolePermissionsInputs): Promise<pulumi.dynamic.CreateResult> {
    const inputs = withoutProvider(news);
    return { id: `role-${inputs.roleId}`, outs: await this.verify(inputs) };
  }

  async read(id: string, props: SecurityRolePermissionsOutputs): Promise<pulumi.dynamic.ReadResult> {
    const olds = withoutProvider(props);
    const settings = await this.settingsOf(olds.roleId);
    if (!settings) return {};
    const outs = evaluate(olds, settings);
    const { compliant: _c, actionsRequired: _a, customizeToVerify: _v, observed: _o, ...inputs } = outs;
    return { id, props: outs, inputs };
  }

  async update(_id: string, _olds: SecurityRolePermissionsOutputs, news: SecurityRolePermissionsInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await this.verify(withoutProvider(news)) };
  }

  // Nothing to delete remotely: levels belong to the role, and the API cannot reset them.

  private async settingsOf(roleId: number): Promise<SecurityRoleSetting[] | undefined> {
    const client = clientOf(this);
    let settings: SecurityRoleSetting[];
    try {
      settings = await client.list(`/system/securityRoles/${roleId}/settings`, securityRoleSettingSchema());
    } catch (e) {
      if (e instanceof ManageApiError && e.isNotFound) return undefined;
      throw e;
    }
    // A deleted role has no settings; a live role always has one row per function.
    return settings.length > 0 ? settings : undefined;
  }

  private async verify(inputs: SecurityRolePermissionsInputs): Promise<SecurityRolePermissionsOutputs> {
    const settings = await this.settingsOf(inputs.roleId);
    if (!settings) throw new Error(`security role ${inputs.roleName ?? inputs.roleId} has no permission settings in this tenant: does role id ${inputs.roleId} exist?`);
    const outs = evaluate(inputs, settings);
    if (!outs.compliant && (inputs.enforcement ?? "strict") === "strict") {
      throw new Error(checklist(inputs, outs));
    }
    return outs;
  }
}

function evaluate(inputs: SecurityRolePermissionsInputs, settings: SecurityRoleSetting[]): SecurityRolePermissionsOutputs {
  const comparison = compareLevels(inputs.permissions, settings, inputs.mode ?? "exact");
  if (comparison.unknown.length > 0) {
    throw new Error(`permissions name what this tenant does not have:\n- ${comparison.unknown.map((u) => `permissions.${u}`).join("\n- ")}`);
  }
  return plainOutputs({
    ...inputs,
    compliant: comparison.actions.length === 0,
    actionsRequired: comparison.actions,
    customizeToVerify: customizeLines(inputs.permissions, settings),
    observed: comparison.observed,
  });
}

function checklist(inputs: SecurityRolePermissionsInputs, outs: SecurityRolePermissionsOutputs): string {
  const role = inputs.roleName ? `"${inputs.roleName}"` : `id ${inputs.roleId}`;
  const lines = [...outs.actionsRequired, ...outs.customizeToVerify];
  return (
    `security role ${role} is not as declared (mode ${inputs.mode ?? "exact"}). The API cannot write permission levels, ` +
    `so make these changes in Manage under System › Security Roles › ${inputs.roleName ?? "the role"}, then run pulumi up again:\n` +
    lines.map((l) => `  - ${l}`).join("\n") +
    `\n(set enforcement: advisory to record this as compliant: false instead of failing)`
  );
}

export const securityRolePermissionsProvider = new SecurityRolePermissionsProvider();

export interface SecurityRolePermissionsArgs {
  /** The role's id (SecurityRole.roleId). */
  roleId: pulumi.Input<number>;
  /** The role's name, for messages. */
  roleName?: pulumi.Input<string>;
  /** { Module: { Function: { add, edit, delete, inquire, customize } } } with the UI's labels. */
  permissions: pulumi.Input<PermissionMatrix>;
  /** "exact" (default): every function not listed must be None. "atLeast": listed levels or higher. */
  mode?: pulumi.Input<MatchMode>;
  /** "strict" (default) fails with the checklist; "advisory" succeeds with compliant: false. */
  enforcement?: pulumi.Input<Enforcement>;
}

export class SecurityRolePermissions extends pulumi.dynamic.Resource {
  declare public readonly compliant: pulumi.Output<boolean>;
  declare public readonly actionsRequired: pulumi.Output<string[]>;
  declare public readonly customizeToVerify: pulumi.Output<string[]>;
  declare public readonly observed: pulumi.Output<PermissionMatrix>;

  constructor(name: string, args: SecurityRolePermissionsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      securityRolePermissionsProvider,
      name,
      { compliant: undefined, actionsRequired: undefined, customizeToVerify: undefined, observed: undefined, ...args, providerVersion: PROVIDER_VERSION },
      opts,
      "cwmanage",
      "SecurityRolePermissions",
    );
  }
}
