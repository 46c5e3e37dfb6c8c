// zod schemas of the Manage models the provider reads. Each is built by a function, on demand:
// a built schema captured by a serialized provider fails to load (reference/pulumi-dynamic.md §12).
import { z } from "zod";

const level = () => z.enum(["None", "My", "All"]).nullable().optional();
const ref = () => z.object({ id: z.number().int(), name: z.string().optional() });

export const securityRoleSchema = () =>
  z.object({
    id: z.number().int(),
    name: z.string(),
    roleType: z.string().optional(),
    adminFlag: z.boolean().optional(),
    inactiveFlag: z.boolean().optional(),
  });

export const securityRoleSettingSchema = () =>
  z.object({
    id: z.number().int(),
    moduleIdentifier: z.string().optional(),
    moduleDescription: z.string(),
    moduleFunctionIdentifier: z.string().optional(),
    moduleFunctionDescription: z.string(),
    addLevel: level(),
    editLevel: level(),
    deleteLevel: level(),
    inquireLevel: level(),
    myAllFlag: z.boolean().optional(),
    customFlag: z.boolean().optional(),
  });

export const mySecuritySchema = () =>
  securityRoleSettingSchema().extend({
    member: z.object({ id: z.number().int(), identifier: z.string(), name: z.string().optional() }).optional(),
  });

export const customizeItemSchema = () =>
  z.object({ id: z.number().int(), customizeIdentifier: z.string(), itemIdentifier: z.string() });

export const setupScreenSchema = () =>
  z.object({
    id: z.number().int(),
    category: z.string().optional(),
    name: z.string(),
    description: z.string().optional(),
  });

export const apiMemberSchema = () =>
  z.object({
    id: z.number().int(),
    identifier: z.string(),
    name: z.string().optional(),
    emailAddress: z.string().optional(),
    inactiveFlag: z.boolean().optional(),
    notes: z.string().optional(),
    securityRole: ref().optional(),
    structureLevel: ref().optional(),
    securityLocation: ref().optional(),
    defaultLocation: ref().optional(),
    defaultDepartment: z.object({ id: z.number().int(), identifier: z.string().optional(), name: z.string().optional() }).optional(),
    salesDefaultLocation: ref().optional(),
    timeZone: ref().optional(),
  });

export const memberSchema = () =>
  apiMemberSchema().extend({ licenseClass: z.string().optional() });

export const departmentSchema = () =>
  z.object({ id: z.number().int(), identifier: z.string(), name: z.string() });

export const namedSchema = () => z.object({ id: z.number().int(), name: z.string() });

export const countSchema = () => z.object({ count: z.number().int() });

export const companyInfoSchema = () => z.object({ Codebase: z.string() });

export type SecurityRole = z.infer<ReturnType<typeof securityRoleSchema>>;
export type SecurityRoleSetting = z.infer<ReturnType<typeof securityRoleSettingSchema>>;
export type MySecurity = z.infer<ReturnType<typeof mySecuritySchema>>;
export type CustomizeItem = z.infer<ReturnType<typeof customizeItemSchema>>;
export type SetupScreen = z.infer<ReturnType<typeof setupScreenSchema>>;
export type ApiMember = z.infer<ReturnType<typeof apiMemberSchema>>;
export type Member = z.infer<ReturnType<typeof memberSchema>>;
export type Department = z.infer<ReturnType<typeof departmentSchema>>;
export type Named = z.infer<ReturnType<typeof namedSchema>>;

/** Parses a response body; an unexpected shape names the field that broke. */
export function parseResponse<T>(schema: z.ZodType<T>, body: unknown, where: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const path = first.path.length > 0 ? first.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") : "(body)";
  throw new Error(`unexpected response from ${where}: ${path.replace(/^\./, "")}: ${first.message}`);
}
