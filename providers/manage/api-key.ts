// ApiKey: a member's API key pair. The API cannot create, list or delete keys (the UI makes
// them and shows the private key once), so this resource registers a key an admin made and
// proves it: it signs in as the declared member and, given the permission matrix, has exactly
// that effective access and Customize list. Without a key it says how to make and hand one over.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { z } from "zod";
import { ManageClient } from "./client/client";
import { ManageApiError } from "./client/errors";
import { CustomizeItem, customizeItemSchema, mySecuritySchema, MySecurity, setupScreenSchema } from "./client/schemas";
import { ManageProvider, clientOf, plainOutputs, strictInputs, withoutProvider } from "./provider-kit";
import { MatchMode, PermissionMatrix, compareCustomize, compareLevels, itemLabels, permissionMatrixSchema } from "./permissions";
import type { Enforcement } from "./security-role-permissions";
import { PROVIDER_VERSION } from "./version";

export interface ApiKeyInputs {
  /** The member's identifier (Member ID) the key must belong to. */
  member: string;
  /** "api" (an API member, the default) or "user" (a key on an existing user), for instructions. */
  memberKind?: "api" | "user";
  description: string;
  publicKey?: string;
  privateKey?: string;
  expectedPermissions?: PermissionMatrix;
  mode?: MatchMode;
  enforcement?: Enforcement;
  /** Stack config path the key pair is read from, for the hand-over commands (e.g. apiKeys.S365L). */
  configPath?: string;
  /** Stack name, for the hand-over commands. */
  stack?: string;
  providerVersion?: string;
}

export interface ApiKeyOutputs extends ApiKeyInputs {
  /** sha256 of the public key: shows which key is in use without revealing anything. */
  fingerprint: string;
  verified: boolean;
  verifiedAt: string;
  memberId: number;
  compliant: boolean;
  actionsRequired: string[];
  /** The UI label of each customize item seen (itemIdentifier -> "Category / Name"). */
  customizeLabels?: Record<string, string>;
}

const inputSchema = () =>
  strictInputs({
    member: z.string({ error: "member is required: the identifier (Member ID) the key belongs to" }).min(1).max(15, "member: at most 15 characters"),
    memberKind: z.enum(["api", "user"], { error: 'memberKind must be "api" or "user"' }).optional(),
    description: z.string({ error: "description is required (the UI's key Description)" }).min(1).max(100, "description: at most 100 characters"),
    publicKey: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    expectedPermissions: permissionMatrixSchema().optional(),
    mode: z.enum(["exact", "atLeast"]).optional(),
    enforcement: z.enum(["strict", "advisory"]).optional(),
    configPath: z.string().optional(),
    stack: z.string().optional(),
  }).refine((x) => (x.publicKey === undefined) === (x.privateKey === undefined), {
    message: "publicKey and privateKey go together: set both (the private key as a secret) or neither",
    path: ["privateKey"],
  });

class ApiKeyProvider extends ManageProvider implements pulumi.dynamic.ResourceProvider {
  protected schema() {
    return inputSchema();
  }

  async diff(_id: string, olds: ApiKeyOutputs, news: ApiKeyInputs): Promise<pulumi.dynamic.DiffResult> {
    const keys = ["member", "memberKind", "description", "publicKey", "privateKey", "expectedPermissions", "mode", "enforcement", "configPath", "stack", "providerVersion"] as const;
    const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    // A new key pair is a new object (its id is the key's fingerprint); nothing remote is deleted.
    const replaces = olds.publicKey !== news.publicKey ? ["publicKey"] : [];
    return { changes: changed.length > 0 || !olds.verified || !olds.compliant, replaces };
  }

  async create(news: ApiKeyInputs): Promise<pulumi.dynamic.CreateResult> {
    const inputs = withoutProvider(news);
    const outs = await this.verify(inputs);
    return { id: outs.publicKey ? `key-${outs.fingerprint.slice(7, 23)}` : `pending-${inputs.member}`, outs };
  }

  async read(id: string, props: ApiKeyOutputs): Promise<pulumi.dynamic.ReadResult> {
    const olds = withoutProvider(props);
    if (!olds.publicKey || !olds.privateKey) return { id, props: olds };
    try {
      const outs = await this.evaluate(olds, olds.customizeLabels);
      // Keep the time of the last apply, so a refresh that finds nothing new changes nothing.
      return { id, props: { ...outs, verifiedAt: olds.verifiedAt } };
    } catch (e) {
      // A key that no longer signs in (revoked) leaves state; the next up asks for a new one.
      if (e instanceof ManageApiError && e.isUnauthorized) return {};
      throw e;
    }
  }

  async update(_id: string, _olds: ApiKeyOutputs, news: ApiKeyInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await this.verify(withoutProvider(news)) };
  }

  // Nothing to delete remotely: the API cannot revoke a key (the README says how to in the UI).

  private async verify(inputs: ApiKeyInputs): Promise<ApiKeyOutputs> {
    const strict = (inputs.enforcement ?? "strict") === "strict";
    if (!inputs.publicKey || !inputs.privateKey) {
      const steps = handOverSteps(inputs);
      if (strict) throw new Error(steps.join("\n"));
      return plainOutputs({ ...inputs, fingerprint: "", verified: false, verifiedAt: "", memberId: 0, compliant: false, actionsRequired: steps });
    }
    let outs: ApiKeyOutputs;
    try {
      outs = await this.evaluate(inputs);
    } catch (e) {
      if (e instanceof ManageApiError && e.isUnauthorized) {
        throw new Error(
          `the API key ${fingerprintOf(inputs.publicKey)} for ${inputs.member} does not sign in (401): it was revoked, mistyped, or the member is inactive. ` +
            `Create a new key and hand it over:\n${handOverSteps(inputs).slice(1).join("\n")}`,
        );
      }
      throw e;
    }
    if (strict && !outs.compliant) {
      throw new Error(
        `the API key of ${inputs.member} signs in, but its effective access is not as declared. Make these changes in Manage, then run pulumi up again:\n` +
          outs.actionsRequired.map((l) => `  - ${l}`).join("\n"),
      );
    }
    return outs;
  }

  /**
   * Signs in with the key and compares what it can do; throws ManageApiError 401 for a dead key.
   * `known` labels customize items seen before, so a refresh reads the setup screens only when
   * an item it has never seen appears.
   */
  private async evaluate(inputs: ApiKeyInputs, known?: Record<string, string>): Promise<ApiKeyOutputs> {
    const admin = clientOf(this);
    const asKey = admin.as(inputs.publicKey!, inputs.privateKey!);
    const wantsCustomize = Object.values(inputs.expectedPermissions ?? {}).some((fns) => Object.values(fns).some((f) => f.customize !== undefined));
    // The provider's own keys read the screens: their 401 must fail the step, never pass for the key's.
    const screens = () => setupScreens(admin).catch((e) => Promise.reject(asProviderError(e)));
    const [mine, items, fetched] = await Promise.all([
      asKey.list("/system/mySecurity", mySecuritySchema()),
      wantsCustomize ? asKey.list("/system/mySecurity/customizeItems", customizeItemSchema()) : Promise.resolve([]),
      wantsCustomize && !known ? screens() : Promise.resolve(undefined),
    ]);
    const who = mine.find((m) => m.member)?.member;
    if (!who) throw new Error(`the API key of ${inputs.member} signs in, but /system/mySecurity names no member; cannot prove whose key it is`);
    if (who.identifier.toLowerCase() !== inputs.member.toLowerCase()) {
      throw new Error(`the API key ${fingerprintOf(inputs.publicKey!)} belongs to member ${who.identifier}, not ${inputs.member}: hand over a key created on ${inputs.member}`);
    }
    const unseen = items.some((i) => known?.[i.itemIdentifier] === undefined);
    const labels = fetched || unseen ? itemLabels(items, fetched ?? (await screens())) : pick(known ?? {}, items.map((i) => i.itemIdentifier));
    const actions = expectedActions(inputs, mine, items, labels);
    return plainOutputs({
      ...inputs,
      fingerprint: fingerprintOf(inputs.publicKey!),
      verified: true,
      verifiedAt: new Date().toISOString(),
      memberId: who.id,
      compliant: actions.length === 0,
      actionsRequired: actions,
      customizeLabels: labels,
    });
  }
}

function pick(labels: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, labels[k]]));
}

function expectedActions(inputs: ApiKeyInputs, mine: MySecurity[], items: CustomizeItem[], labels: Record<string, string>): string[] {
  if (!inputs.expectedPermissions) return [];
  const mode = inputs.mode ?? "exact";
  const levels = compareLevels(inputs.expectedPermissions, mine, mode);
  if (levels.unknown.length > 0) throw new Error(`expectedPermissions name what this tenant does not have:\n- ${levels.unknown.join("\n- ")}`);
  return [...levels.actions, ...compareCustomize(inputs.expectedPermissions, mine, items, labels, mode)];
}

/** The setup screens of a tenant, once per provider process (the catalogue does not change mid-run). */
async function setupScreens(client: ManageClient) {
  const g = globalThis as unknown as { __cwmanageScreens?: Record<string, Promise<z.infer<ReturnType<typeof setupScreenSchema>>[]>> };
  const cache = (g.__cwmanageScreens ??= {});
  const key = client.tenantId;
  if (!cache[key]) cache[key] = client.list("/system/setupScreens", setupScreenSchema()).catch((e) => {
    delete cache[key];
    throw e;
  });
  return cache[key];
}

/** A 401 on the provider's own credentials, as an error that no caller takes for a revoked or mistyped key. */
function asProviderError(e: unknown): unknown {
  if (!(e instanceof ManageApiError && e.isUnauthorized)) return e;
  return new Error(
    `ConnectWise Manage rejected the provider's own credentials for ${e.method} ${e.path} (401), not the API key being verified: ` +
      `check cwmanage:companyId, cwmanage:publicKey and cwmanage:privateKey, and that their member is active`,
  );
}

export function fingerprintOf(publicKey: string): string {
  return `sha256:${createHash("sha256").update(publicKey).digest("hex").slice(0, 32)}`;
}

/** The runbook's steps for making a key, and the exact commands that hand it to this stack. */
export function handOverSteps(inputs: ApiKeyInputs): string[] {
  const path = inputs.configPath ?? `apiKeys.${inputs.member}`;
  const stack = inputs.stack ? ` --stack ${inputs.stack}` : "";
  const where =
    (inputs.memberKind ?? "api") === "api"
      ? `System › Members › API Members tab › ${inputs.member}`
      : `System › Members › ${inputs.member}`;
  return [
    `${inputs.member}: create an API key in the UI and hand it over (the API cannot create keys)`,
    `  1. In Manage open ${where} › API Keys tab, click +, enter the description "${inputs.description}" and save.`,
    `  2. Copy the public and the private key now: the private key is shown only once.`,
    `  3. Hand them over to this stack:`,
    `       pulumi config set${stack} --path '${path}.publicKey' <public key>`,
    `       pulumi config set${stack} --path --secret '${path}.privateKey' <private key>`,
    `  4. Run pulumi up: the key is verified to sign in as ${inputs.member}${inputs.expectedPermissions ? " with the declared permissions" : ""}.`,
  ];
}

export const apiKeyProvider = new ApiKeyProvider();

export interface ApiKeyArgs {
  member: pulumi.Input<string>;
  memberKind?: pulumi.Input<"api" | "user">;
  description: pulumi.Input<string>;
  publicKey?: pulumi.Input<string>;
  /** Pass a secret (pulumi config --secret); it is stored only as a secret. */
  privateKey?: pulumi.Input<string>;
  /** When given, the key's effective access and Customize list must match it. */
  expectedPermissions?: pulumi.Input<PermissionMatrix>;
  mode?: pulumi.Input<MatchMode>;
  enforcement?: pulumi.Input<Enforcement>;
  configPath?: pulumi.Input<string>;
  stack?: pulumi.Input<string>;
}

export class ApiKey extends pulumi.dynamic.Resource {
  declare public readonly publicKey: pulumi.Output<string | undefined>;
  declare public readonly privateKey: pulumi.Output<string | undefined>;
  declare public readonly fingerprint: pulumi.Output<string>;
  declare public readonly verified: pulumi.Output<boolean>;
  declare public readonly verifiedAt: pulumi.Output<string>;
  declare public readonly memberId: pulumi.Output<number>;
  declare public readonly compliant: pulumi.Output<boolean>;
  declare public readonly actionsRequired: pulumi.Output<string[]>;

  constructor(name: string, args: ApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    const withSecrets = pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] });
    super(
      apiKeyProvider,
      name,
      {
        fingerprint: undefined, verified: undefined, verifiedAt: undefined, memberId: undefined, compliant: undefined, actionsRequired: undefined,
        ...args,
        privateKey: args.privateKey === undefined ? undefined : pulumi.secret(args.privateKey),
        providerVersion: PROVIDER_VERSION,
      },
      withSecrets,
      "cwmanage",
      "ApiKey",
    );
  }
}
