// Member references given by name (as people know them) resolved to ids through the lookup
// endpoints, all at once; a name the tenant does not know fails with the closest names.
import { z } from "zod";
import { ManageClient } from "./client/client";
import { eq, or } from "./client/conditions";
import { departmentSchema, namedSchema } from "./client/schemas";
import { didYouMean } from "./suggest";

export const REFERENCE_FIELDS = [
  "securityRole",
  "defaultDepartment",
  "defaultLocation",
  "securityLocation",
  "salesDefaultLocation",
  "structureLevel",
  "timeZone",
] as const;
export type ReferenceField = (typeof REFERENCE_FIELDS)[number];

interface Lookup {
  path: string;
  what: string;
  /** Conditions that find the wanted name. */
  conditions: (wanted: string) => string;
  /** Names the did-you-mean list offers. */
  names: (item: { name: string; identifier?: string }) => string[];
  schema: () => z.ZodType<{ id: number; name: string; identifier?: string }>;
}

const LOOKUPS: Record<ReferenceField, Lookup> = {
  securityRole: { path: "/system/securityroles", what: "security role", conditions: (w) => eq("name", w), names: (i) => [i.name], schema: namedSchema },
  defaultDepartment: {
    path: "/system/departments",
    what: "department",
    conditions: (w) => or(eq("identifier", w), eq("name", w)),
    names: (i) => [i.identifier ?? i.name],
    schema: departmentSchema,
  },
  defaultLocation: { path: "/system/locations", what: "location", conditions: (w) => eq("name", w), names: (i) => [i.name], schema: namedSchema },
  securityLocation: { path: "/system/locations", what: "location", conditions: (w) => eq("name", w), names: (i) => [i.name], schema: namedSchema },
  salesDefaultLocation: { path: "/system/locations", what: "location (territory)", conditions: (w) => eq("name", w), names: (i) => [i.name], schema: namedSchema },
  structureLevel: {
    path: "/system/myCompany/corporateStructureLevels",
    what: "structure level",
    conditions: (w) => eq("name", w),
    names: (i) => [i.name],
    schema: namedSchema,
  },
  timeZone: { path: "/system/timeZoneSetups", what: "time zone setup", conditions: (w) => eq("name", w), names: (i) => [i.name], schema: namedSchema },
};

export interface ResolvedReference {
  id: number;
  name: string;
  identifier?: string;
}

/** Resolves every given reference in parallel; throws one error naming each unknown one. */
export async function resolveReferences(
  client: ManageClient,
  wanted: Partial<Record<ReferenceField, string>>,
): Promise<Partial<Record<ReferenceField, ResolvedReference>>> {
  const entries = Object.entries(wanted).filter((e): e is [ReferenceField, string] => typeof e[1] === "string");
  const results = await Promise.all(
    entries.map(async ([field, name]) => {
      const lookup = LOOKUPS[field];
      const found = await client.list(lookup.path, lookup.schema(), { conditions: lookup.conditions(name) });
      if (found.length === 1) return { field, ref: found[0] };
      if (found.length > 1) return { field, problem: `${field}: ${found.length} ${lookup.what}s are named "${name}"; rename one in the tenant` };
      const all = await client.list(lookup.path, lookup.schema());
      return { field, problem: `${field}: no ${lookup.what} "${name}" in this tenant, ${didYouMean(name, all.flatMap(lookup.names))}` };
    }),
  );
  const problems = results.map((r) => r.problem).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const out: Partial<Record<ReferenceField, ResolvedReference>> = {};
  for (const r of results) if (r.ref) out[r.field] = { id: r.ref.id, name: r.ref.name, identifier: r.ref.identifier };
  return out;
}
