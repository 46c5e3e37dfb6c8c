// SecurityRole: a role shell (name only). The API can create, read and delete a role but not
// rename it, so a new name is a replace. Its permission levels are SecurityRolePermissions.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ManageApiError } from "./client/errors";
import { createRecovering } from "./client/create-recovering";
import { SecurityRole as RoleModel, securityRoleSchema } from "./client/schemas";
import { ManageProvider, clientOf, plainOutputs, strictInputs, withoutProvider } from "./provider-kit";
import { PROVIDER_VERSION } from "./version";

export interface SecurityRoleInputs {
  name: string;
  adopt?: boolean;
  onDelete?: "delete" | "retain";
  providerVersion?: string;
}

export interface SecurityRoleOutputs extends SecurityRoleInputs {
  roleId: number;
  adopted: boolean;
}

const ROLES = "/system/securityroles";

const inputSchema = () =>
  strictInputs({
    name: z
      .string({ error: "name is required: the role's name as the UI shows it (Role ID)" })
      .min(1, "name must not be empty")
      .max(30, "name: at most 30 characters (the API's limit)")
      .refine((s) => s === s.trim(), "name must not start or end with spaces"),
    adopt: z.boolean().optional(),
    onDelete: z.enum(["delete", "retain"], { error: 'onDelete must be "delete" or "retain"' }).optional(),
  });

class SecurityRoleProvider extends ManageProvider implements pulumi.dynamic.ResourceProvider {
  protected schema() {
    return inputSchema();
  }

  async diff(_id: string, olds: SecurityRoleOutputs, news: SecurityRoleInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.name !== news.name ? ["name"] : [];
    const changed =
      replaces.length > 0 ||
      (olds.adopt ?? false) !== (news.adopt ?? false) ||
      (olds.onDelete ?? "delete") !== (news.onDelete ?? "delete") ||
      olds.providerVersion !== news.providerVersion;
    return { changes: changed, replaces };
  }

  async create(news: SecurityRoleInputs & { __provider?: string }): Promise<pulumi.dynamic.CreateResult> {
    const inputs = withoutProvider(news);
    const client = clientOf(this);
    const existing = await client.findBy(ROLES, securityRoleSchema(), "name", inputs.name);
    if (existing && !inputs.adopt) {
      throw new Error(
        `security role "${existing.name}" already exists in this tenant (id ${existing.id}). ` +
          `To manage it with this stack set adopt: true on it (pulumi import does not work for this provider); ` +
          `to keep it unmanaged, choose another name.`,
      );
    }
    const role: RoleModel =
      existing ??
      (await createRecovering(
        () => client.post(ROLES, { name: inputs.name }, securityRoleSchema()),
        () => client.findBy(ROLES, securityRoleSchema(), "name", inputs.name),
      ));
    return { id: String(role.id), outs: outputsOf(inputs, role, existing !== undefined) };
  }

  async read(id: string, props: SecurityRoleOutputs): Promise<pulumi.dynamic.ReadResult> {
    const role = await clientOf(this).find(`${ROLES}/${encodeURIComponent(id)}`, securityRoleSchema());
    if (!role) return {};
    const outs = outputsOf(withoutProvider(props), role, props.adopted ?? false);
    return { id, props: outs, inputs: inputsOf(outs) };
  }

  async update(_id: string, olds: SecurityRoleOutputs, news: SecurityRoleInputs): Promise<pulumi.dynamic.UpdateResult> {
    // Only adopt, onDelete and providerVersion can change in place; none of them is remote.
    return { outs: plainOutputs({ ...withoutProvider(olds), ...withoutProvider(news), roleId: olds.roleId, adopted: olds.adopted }) };
  }

  async delete(id: string, props: SecurityRoleOutputs): Promise<void> {
    if (props.onDelete === "retain") return;
    const client = clientOf(this);
    try {
      await client.delete(`${ROLES}/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ManageApiError && e.isNotFound) return;
      if (e instanceof ManageApiError && e.status === 400) {
        const detail = e.errors.map((x) => x.message).filter(Boolean).join("; ") || e.vendorMessage || "it is in use";
        throw new Error(
          `security role "${props.name}" (id ${id}) cannot be deleted: ${detail}. ` +
            `ConnectWise keeps deactivated members, and a role stays in use while any member references it: ` +
            `assign those members another role in the UI first, or set onDelete: "retain" on this role to leave it in the tenant.`,
        );
      }
      throw e;
    }
  }
}

function outputsOf(inputs: Omit<SecurityRoleInputs, never>, role: RoleModel, adopted: boolean): SecurityRoleOutputs {
  return plainOutputs({ ...inputs, name: role.name, roleId: role.id, adopted });
}

function inputsOf(outs: SecurityRoleOutputs): SecurityRoleInputs {
  return plainOutputs({ name: outs.name, adopt: outs.adopt, onDelete: outs.onDelete, providerVersion: outs.providerVersion });
}

/** The one provider instance every SecurityRole shares (one serialization, one configure). */
export const securityRoleProvider = new SecurityRoleProvider();

export interface SecurityRoleArgs {
  /** The role's name (the UI's Role ID), at most 30 characters; a new name replaces the role. */
  name: pulumi.Input<string>;
  /** Take over an existing role of this name instead of failing. */
  adopt?: pulumi.Input<boolean>;
  /** "delete" (default) deletes the role on destroy; "retain" leaves it in the tenant. */
  onDelete?: pulumi.Input<"delete" | "retain">;
}

export class SecurityRole extends pulumi.dynamic.Resource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly roleId: pulumi.Output<number>;
  declare public readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: SecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(securityRoleProvider, name, { roleId: undefined, adopted: undefined, ...args, providerVersion: PROVIDER_VERSION }, opts, "cwmanage", "SecurityRole");
  }
}
