// ExistingSecurityRole: a role the tenant already has (e.g. "Admin"), looked up by name so that a
// stack can verify its permission levels (SecurityRolePermissions needs the role's id) and report
// its id. Read-only: it never creates, changes or deletes the role. Refresh notices a role that
// was renamed or deleted.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { securityRoleSchema } from "./client/schemas";
import { ManageProvider, clientOf, plainOutputs, strictInputs, withoutProvider } from "./provider-kit";
import { didYouMean } from "./suggest";
import { PROVIDER_VERSION } from "./version";

export interface ExistingSecurityRoleInputs {
  name: string;
  providerVersion?: string;
}

export interface ExistingSecurityRoleOutputs extends ExistingSecurityRoleInputs {
  roleId: number;
  adminFlag: boolean;
}

const ROLES = "/system/securityroles";

const inputSchema = () =>
  strictInputs({
    name: z.string({ error: "name is required: the name of a role the tenant has" }).min(1, "name must not be empty").max(30, "name: at most 30 characters"),
  });

class ExistingSecurityRoleProvider extends ManageProvider implements pulumi.dynamic.ResourceProvider {
  protected schema() {
    return inputSchema();
  }

  async diff(_id: string, olds: ExistingSecurityRoleOutputs, news: ExistingSecurityRoleInputs): Promise<pulumi.dynamic.DiffResult> {
    // Another name is another role: look it up again (nothing remote is created or deleted).
    const replaces = olds.name !== news.name ? ["name"] : [];
    return { changes: replaces.length > 0 || olds.providerVersion !== news.providerVersion, replaces };
  }

  async create(news: ExistingSecurityRoleInputs): Promise<pulumi.dynamic.CreateResult> {
    const inputs = withoutProvider(news);
    const client = clientOf(this);
    const role = await client.findBy(ROLES, securityRoleSchema(), "name", inputs.name);
    if (!role) {
      const all = await client.list(ROLES, securityRoleSchema());
      throw new Error(`role: no security role "${inputs.name}" in this tenant, ${didYouMean(inputs.name, all.map((r) => r.name))}`);
    }
    return { id: String(role.id), outs: plainOutputs({ ...inputs, name: role.name, roleId: role.id, adminFlag: role.adminFlag ?? false }) };
  }

  async read(id: string, props: ExistingSecurityRoleOutputs): Promise<pulumi.dynamic.ReadResult> {
    const role = await clientOf(this).find(`${ROLES}/${encodeURIComponent(id)}`, securityRoleSchema());
    if (!role) return {};
    const olds = withoutProvider(props);
    // A renamed role shows as a new name; the declared name stays the input, so the next up looks it up again.
    return {
      id,
      props: plainOutputs({ ...olds, name: role.name, roleId: role.id, adminFlag: role.adminFlag ?? false }),
      inputs: plainOutputs({ name: olds.name, providerVersion: olds.providerVersion }),
    };
  }

  async update(_id: string, olds: ExistingSecurityRoleOutputs, news: ExistingSecurityRoleInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: plainOutputs({ ...withoutProvider(olds), ...withoutProvider(news) }) };
  }

  // Nothing to delete: the role is not this stack's.
}

export const existingSecurityRoleProvider = new ExistingSecurityRoleProvider();

export interface ExistingSecurityRoleArgs {
  /** The role's name as the UI shows it (e.g. "Admin"). */
  name: pulumi.Input<string>;
}

export class ExistingSecurityRole extends pulumi.dynamic.Resource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly roleId: pulumi.Output<number>;
  declare public readonly adminFlag: pulumi.Output<boolean>;

  constructor(name: string, args: ExistingSecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      existingSecurityRoleProvider,
      name,
      { roleId: undefined, adminFlag: undefined, ...args, providerVersion: PROVIDER_VERSION },
      opts,
      "cwmanage",
      "ExistingSecurityRole",
    );
  }
}
