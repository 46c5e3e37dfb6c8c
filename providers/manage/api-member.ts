// ApiMember: the integration's own identity (System › Members › API Members). Created, read,
// updated field by field through PATCH; never deleted by the API, only deactivated.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ManageClient, PatchOperation } from "./client/client";
import { ManageApiError } from "./client/errors";
import { createRecovering } from "./client/create-recovering";
import { ApiMember as MemberModel, apiMemberSchema, mySecuritySchema } from "./client/schemas";
import { ManageProvider, clientOf, initFailure, messageOf, plainOutputs, strictInputs, withoutProvider } from "./provider-kit";
import { REFERENCE_FIELDS, ReferenceField, ResolvedReference, resolveReferences } from "./references";
import { PROVIDER_VERSION } from "./version";

export interface ApiMemberInputs {
  identifier: string;
  name: string;
  securityRole: string;
  defaultDepartment?: string;
  defaultLocation?: string;
  securityLocation?: string;
  salesDefaultLocation?: string;
  structureLevel?: string;
  timeZone?: string;
  emailAddress?: string;
  notes?: string;
  adopt?: boolean;
  onDelete?: "deactivate" | "retain";
  providerVersion?: string;
}

export interface ApiMemberOutputs extends ApiMemberInputs {
  memberId: number;
  inactive: boolean;
  adopted: boolean;
  /** The ids the names resolved to, so refresh can tell a renamed reference from a changed one. */
  references: Partial<Record<ReferenceField, ResolvedReference>>;
}

const MEMBERS = "/system/apiMembers";
const PLAIN_FIELDS = ["name", "emailAddress", "notes"] as const;

const reference = (what: string) => z.string().min(1, `${what} must not be empty`).max(50, `${what}: at most 50 characters`);

const inputSchema = () =>
  strictInputs({
    identifier: z
      .string({ error: "identifier is required: the Member ID, letters and digits, at most 15" })
      .min(1, "identifier must not be empty")
      .max(15, "identifier: at most 15 characters (the API's limit)")
      .regex(/^[A-Za-z0-9]+$/, "identifier: letters and digits only"),
    name: z.string({ error: "name is required: the Member Name, at most 30 characters" }).min(1).max(30, "name: at most 30 characters (the API's limit)"),
    securityRole: reference("securityRole"),
    defaultDepartment: reference("defaultDepartment").optional(),
    defaultLocation: reference("defaultLocation").optional(),
    securityLocation: reference("securityLocation").optional(),
    salesDefaultLocation: reference("salesDefaultLocation").optional(),
    structureLevel: reference("structureLevel").optional(),
    timeZone: reference("timeZone").optional(),
    emailAddress: z.email("emailAddress: not an e-mail address").max(250, "emailAddress: at most 250 characters").optional(),
    notes: z.string().optional(),
    adopt: z.boolean().optional(),
    onDelete: z.enum(["deactivate", "retain"], { error: 'onDelete must be "deactivate" or "retain"' }).optional(),
  });

class ApiMemberProvider extends ManageProvider implements pulumi.dynamic.ResourceProvider {
  protected schema() {
    return inputSchema();
  }

  async diff(_id: string, olds: ApiMemberOutputs, news: ApiMemberInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.identifier.toLowerCase() !== news.identifier.toLowerCase() ? ["identifier"] : [];
    const changed =
      replaces.length > 0 ||
      changedFields(olds, news).length > 0 ||
      olds.inactive ||
      (olds.adopt ?? false) !== (news.adopt ?? false) ||
      (olds.onDelete ?? "deactivate") !== (news.onDelete ?? "deactivate") ||
      olds.providerVersion !== news.providerVersion;
    return { changes: changed, replaces };
  }

  async create(news: ApiMemberInputs & { __provider?: string }): Promise<pulumi.dynamic.CreateResult> {
    const inputs = withoutProvider(news);
    const client = clientOf(this);
    const [existing, references] = await Promise.all([
      client.findBy(MEMBERS, apiMemberSchema(), "identifier", inputs.identifier),
      resolveReferences(client, referencesOf(inputs)),
    ]);
    if (existing && !inputs.adopt) {
      throw new Error(
        `API member "${existing.identifier}" already exists in this tenant (id ${existing.id}${existing.inactiveFlag ? ", inactive" : ""}). ` +
          `To manage it with this stack set adopt: true on it (pulumi import does not work for this provider); otherwise choose another identifier.`,
      );
    }
    if (existing) {
      // Adopting: bring the existing member to what is declared, reactivating it if needed.
      const ops = [...patchFor(existing, inputs, references), ...(existing.inactiveFlag ? [{ op: "replace" as const, path: "inactiveFlag", value: false }] : [])];
      const member = ops.length > 0 ? await client.patch(`${MEMBERS}/${existing.id}`, ops, apiMemberSchema()) : existing;
      return { id: String(member.id), outs: outputsOf(inputs, member, references, true) };
    }
    const member = await createRecovering(
      () => client.post(MEMBERS, createBody(inputs, references), apiMemberSchema()),
      () => client.findBy(MEMBERS, apiMemberSchema(), "identifier", inputs.identifier),
    );
    try {
      return { id: String(member.id), outs: outputsOf(inputs, member, references, false) };
    } catch (e) {
      throw initFailure(`API member ${member.identifier} was created (id ${member.id}) but its state could not be recorded: ${messageOf(e)}`, String(member.id), { ...news, memberId: member.id });
    }
  }

  async read(id: string, props: ApiMemberOutputs): Promise<pulumi.dynamic.ReadResult> {
    const member = await clientOf(this).find(`${MEMBERS}/${encodeURIComponent(id)}`, apiMemberSchema());
    if (!member) return {};
    const olds = withoutProvider(props);
    const live = liveInputs(olds, member);
    const outs = outputsOf(live, member, liveReferences(member), olds.adopted ?? false);
    return { id, props: outs, inputs: inputsOf(outs) };
  }

  async update(id: string, olds: ApiMemberOutputs, news: ApiMemberInputs): Promise<pulumi.dynamic.UpdateResult> {
    const inputs = withoutProvider(news);
    const client = clientOf(this);
    const changedRefs = REFERENCE_FIELDS.filter((f) => inputs[f] !== undefined && inputs[f] !== olds[f]);
    const resolved = await resolveReferences(client, Object.fromEntries(changedRefs.map((f) => [f, inputs[f]])));
    const references = { ...olds.references, ...resolved };
    const ops: PatchOperation[] = [];
    for (const f of PLAIN_FIELDS) {
      if (inputs[f] !== olds[f] && inputs[f] !== undefined) ops.push({ op: "replace", path: f, value: inputs[f] });
    }
    for (const f of changedRefs) ops.push({ op: "replace", path: f, value: { id: references[f]!.id } });
    if (olds.inactive) ops.push({ op: "replace", path: "inactiveFlag", value: false });
    const member = ops.length > 0 ? await client.patch(`${MEMBERS}/${encodeURIComponent(id)}`, ops, apiMemberSchema()) : undefined;
    const outs: ApiMemberOutputs = member
      ? outputsOf(inputs, member, references, olds.adopted)
      : plainOutputs({ ...withoutProvider(olds), ...inputs, references });
    return { outs };
  }

  async delete(id: string, props: ApiMemberOutputs): Promise<void> {
    if (props.onDelete === "retain") return;
    const client = clientOf(this);
    await refuseSelf(client, props.identifier);
    try {
      await client.patch(`${MEMBERS}/${encodeURIComponent(id)}`, [{ op: "replace", path: "inactiveFlag", value: true }], apiMemberSchema());
    } catch (e) {
      if (e instanceof ManageApiError && e.isNotFound) return;
      throw e;
    }
  }
}

/** Never deactivate the member whose keys the provider itself signs with: it would lock us out. */
async function refuseSelf(client: ManageClient, identifier: string): Promise<void> {
  const me = await client.get("/system/mySecurity", z.array(mySecuritySchema()), { pageSize: 1 });
  const self = me[0]?.member?.identifier;
  if (self !== undefined && self.toLowerCase() === identifier.toLowerCase()) {
    throw new Error(
      `refusing to deactivate API member ${identifier}: it is the member whose keys this provider signs in with (cwmanage:publicKey). ` +
        `Run with another administrator's keys, or set onDelete: "retain".`,
    );
  }
}

function referencesOf(inputs: ApiMemberInputs): Partial<Record<ReferenceField, string>> {
  return Object.fromEntries(REFERENCE_FIELDS.filter((f) => inputs[f] !== undefined).map((f) => [f, inputs[f]]));
}

function changedFields(olds: ApiMemberInputs, news: ApiMemberInputs): string[] {
  return [...PLAIN_FIELDS, ...REFERENCE_FIELDS].filter((f) => news[f] !== undefined && news[f] !== olds[f]);
}

function createBody(inputs: ApiMemberInputs, refs: Partial<Record<ReferenceField, ResolvedReference>>): Record<string, unknown> {
  const body: Record<string, unknown> = { identifier: inputs.identifier, name: inputs.name };
  if (inputs.emailAddress !== undefined) body.emailAddress = inputs.emailAddress;
  if (inputs.notes !== undefined) body.notes = inputs.notes;
  for (const f of REFERENCE_FIELDS) if (refs[f]) body[f] = { id: refs[f]!.id };
  return body;
}

/** PATCH operations that bring an existing member to the declared fields (adoption). */
function patchFor(member: MemberModel, inputs: ApiMemberInputs, refs: Partial<Record<ReferenceField, ResolvedReference>>): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const f of PLAIN_FIELDS) if (inputs[f] !== undefined && member[f] !== inputs[f]) ops.push({ op: "replace", path: f, value: inputs[f] });
  for (const f of REFERENCE_FIELDS) if (refs[f] && member[f]?.id !== refs[f]!.id) ops.push({ op: "replace", path: f, value: { id: refs[f]!.id } });
  return ops;
}

function liveReferences(member: MemberModel): Partial<Record<ReferenceField, ResolvedReference>> {
  const out: Partial<Record<ReferenceField, ResolvedReference>> = {};
  for (const f of REFERENCE_FIELDS) {
    const ref = member[f] as { id: number; name?: string; identifier?: string } | undefined;
    if (ref) out[f] = { id: ref.id, name: ref.name ?? "", identifier: ref.identifier };
  }
  return out;
}

/**
 * The inputs the live member implies, for fields the stack declares: an unchanged reference keeps
 * the name the stack used (an identifier or a name); a changed one shows the tenant's name.
 */
function liveInputs(olds: Omit<ApiMemberOutputs, "__provider">, member: MemberModel): ApiMemberOutputs {
  const live: ApiMemberOutputs = { ...olds, identifier: member.identifier, inactive: member.inactiveFlag ?? false };
  for (const f of PLAIN_FIELDS) if (olds[f] !== undefined) live[f] = member[f] ?? "";
  for (const f of REFERENCE_FIELDS) {
    if (olds[f] === undefined) continue;
    const ref = member[f] as { id: number; name?: string; identifier?: string } | undefined;
    if (!ref) live[f] = "";
    else if (olds.references?.[f]?.id !== ref.id) live[f] = (f === "defaultDepartment" && olds.references?.[f]?.identifier === olds[f] ? ref.identifier : ref.name) ?? String(ref.id);
  }
  return live;
}

function outputsOf(
  inputs: ApiMemberInputs,
  member: MemberModel,
  references: Partial<Record<ReferenceField, ResolvedReference>>,
  adopted: boolean,
): ApiMemberOutputs {
  return plainOutputs({ ...inputs, identifier: member.identifier, memberId: member.id, inactive: member.inactiveFlag ?? false, adopted, references });
}

function inputsOf(outs: ApiMemberOutputs): ApiMemberInputs {
  const { memberId: _m, inactive: _i, adopted: _a, references: _r, ...inputs } = outs;
  return plainOutputs(inputs);
}

export const apiMemberProvider = new ApiMemberProvider();

export interface ApiMemberArgs {
  /** Member ID: letters and digits, at most 15; a new identifier replaces the member. */
  identifier: pulumi.Input<string>;
  /** Member Name, at most 30 characters. */
  name: pulumi.Input<string>;
  /** The security role's name. */
  securityRole: pulumi.Input<string>;
  /** Department identifier or name (e.g. "Admin"). */
  defaultDepartment?: pulumi.Input<string>;
  defaultLocation?: pulumi.Input<string>;
  securityLocation?: pulumi.Input<string>;
  /** The UI's Default Territory: a location name. */
  salesDefaultLocation?: pulumi.Input<string>;
  /** The UI's Level, e.g. "Corporate (Level 1)". */
  structureLevel?: pulumi.Input<string>;
  /** A time zone setup's name. */
  timeZone?: pulumi.Input<string>;
  emailAddress?: pulumi.Input<string>;
  notes?: pulumi.Input<string>;
  /** Take over an existing API member with this identifier instead of failing. */
  adopt?: pulumi.Input<boolean>;
  /** "deactivate" (default) on destroy, or "retain" to leave it active. */
  onDelete?: pulumi.Input<"deactivate" | "retain">;
}

export class ApiMember extends pulumi.dynamic.Resource {
  declare public readonly identifier: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly memberId: pulumi.Output<number>;
  declare public readonly inactive: pulumi.Output<boolean>;
  declare public readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: ApiMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      apiMemberProvider,
      name,
      { memberId: undefined, inactive: undefined, adopted: undefined, references: undefined, ...args, providerVersion: PROVIDER_VERSION },
      opts,
      "cwmanage",
      "ApiMember",
    );
  }
}
