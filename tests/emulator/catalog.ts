// Seed data shared by every emulated tenant: the security module/function catalog (with the UI's
// labels), setup screens, departments, locations, time zones, structure levels and built-in roles.

export type Level = "None" | "My" | "All";

export interface CatalogFunction {
  key: string; // `${moduleIdentifier}.${functionIdentifier}`
  moduleIdentifier: string;
  moduleName: string;
  moduleDescription: string;
  moduleFunctionIdentifier: string;
  moduleFunctionName: string;
  moduleFunctionDescription: string;
  myAllFlag: boolean;
  customFlag: boolean;
  reportFlag: boolean;
  restrictFlag: boolean;
  sortOrder: number;
}

// Function spec: "Label" plus optional flags after "|": c = customFlag (a Customize link in the UI),
// m = "My" is meaningful (myAllFlag), r = report function, x = restrictFlag; "=Id" overrides the identifier.
const MODULES: Array<[id: string, name: string, description: string, fns: string[]]> = [
  ["Company", "Company", "Companies", [
    "Company Maintenance|m", "Company Finance", "Company/Contact Group Maintenance", "Configurations|cm",
    "Contacts|m", "CRM Activities|m", "Notes|m", "Team Members", "Manage Attachments", "Sent Emails",
    "Delete Company", "Reports|cr"]],
  ["Finance", "Finance", "Finance", [
    "Agreement Invoicing", "Agreement Sales", "Agreements|cm", "Billing View Time", "Invoicing|m",
    "GL Interface", "Close Accounting Period", "Billing Adjustments", "Invoice Templates", "Reports|cr"]],
  ["Marketing", "Marketing", "Marketing", [
    "Campaigns|m", "Groups", "Marketing Manager", "Email Templates", "Reports|cr"]],
  ["Procurement", "Procurement", "Procurement", [
    "Product Catalog", "Products", "Purchase Orders|m", "Purchasing Approvals", "Inventory", "Receiving",
    "Picking and Shipping", "RMA", "Reports|cr"]],
  ["Project", "Project", "Project", [
    "Project Headers|m", "Project Tickets|m", "Project Notes|m", "Project Scheduling|c=Scheduling",
    "Project Team", "Project Templates", "Project Finance", "Project Phases", "Close Projects", "Reports|cr"]],
  ["Sales", "Sales", "Sales", [
    "Opportunities|m", "Sales Activities|m", "Forecast", "Sales Orders|m", "Quotes", "Commissions",
    "Sales Funnel", "Sales Finance", "Close Opportunity", "Reports|cr"]],
  ["Service", "Service", "Service Desk", [
    "Service Tickets|mx", "Resource Scheduling|c", "Close Service Tickets", "Knowledge Base",
    "Service Templates", "Change Approvals", "Dispatch", "SLA", "Ticket Finance", "Service Board Setup",
    "Reports|cr"]],
  ["System", "System", "System", [
    "Table Setup|c", "Security Roles", "Member Maintenance", "Manage Hosted API|c", "My Account|c",
    "Mass Maintenance|c", "Custom Menu Entry|c", "Report Writer", "Workflow Rules", "Audit Trail",
    "My Company", "Custom Fields", "Portal Configuration", "Integrator Login", "Reports|cr"]],
  ["TimeAndExpense", "Time & Expense", "Time & Expense", [
    "Time Entry|m", "Expense Entry|m", "Time Sheet Approval", "Expense Approval", "Time Sheets|m",
    "Expense Reports|m", "Team Time Sheets", "Reports|cr"]],
  ["Dashboard", "Dashboard", "Dashboard", ["Dashboard|m", "Standard Pods", "Custom Pods"]],
  ["Documents", "Documents", "Documents", ["Documents|m", "Templates"]],
];

function identifierOf(label: string): string {
  return label.split(/[^A-Za-z0-9]+/).filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join("");
}

export const FUNCTIONS: CatalogFunction[] = (() => {
  const out: CatalogFunction[] = [];
  for (const [moduleId, moduleName, moduleDescription, fns] of MODULES) {
    fns.forEach((spec, i) => {
      const [label, rawFlags = ""] = spec.split("|");
      const [flags, override] = rawFlags.split("=");
      const fnId = override ?? identifierOf(label);
      out.push({
        key: `${moduleId}.${fnId}`, moduleIdentifier: moduleId, moduleName, moduleDescription,
        moduleFunctionIdentifier: fnId, moduleFunctionName: label, moduleFunctionDescription: label,
        customFlag: flags.includes("c"), myAllFlag: flags.includes("m"), reportFlag: flags.includes("r"),
        restrictFlag: flags.includes("x"), sortOrder: i + 1,
      });
    });
  }
  return out;
})();

export const FUNCTION_BY_KEY = new Map(FUNCTIONS.map((f) => [f.key, f]));

/** Looks a function up by its UI labels (module description or name, function description), case-insensitive. */
export function findFunction(module: string, fn: string): CatalogFunction | undefined {
  const m = module.trim().toLowerCase();
  const f = fn.trim().toLowerCase();
  return FUNCTIONS.find((x) =>
    (x.moduleDescription.toLowerCase() === m || x.moduleIdentifier.toLowerCase() === m) &&
    x.moduleFunctionDescription.toLowerCase() === f);
}

/** Functions guarding the API paths the emulator serves. */
export const GUARDS = {
  securityRoles: "System.SecurityRoles",
  members: "System.MemberMaintenance",
  tableSetup: "System.TableSetup",
} as const;

export interface SetupScreen { id: number; category: string; name: string; description: string; moduleIdentifier: string; moduleName: string; moduleDescription: string }

const SCREENS: Array<[category: string, name: string, module: string]> = [
  ["Agreements", "Batch", "Finance"], ["Agreements", "Type", "Finance"], ["Agreements", "Addition Type", "Finance"],
  ["Company", "Company Type", "Company"], ["Company", "Company Status", "Company"], ["Company", "Contact Type", "Company"],
  ["Company", "Configuration Type", "Company"], ["Company", "Market Description", "Company"], ["Company", "Team Role", "Company"],
  ["Finance", "Billing Terms", "Finance"], ["Finance", "Currency", "Finance"], ["Finance", "Invoice Template", "Finance"],
  ["Finance", "Tax Code", "Finance"], ["Finance", "Accounting Package", "Finance"],
  ["General", "Manage Hosted API", "System"], ["General", "Calendar Setup", "System"], ["General", "Holiday List", "System"],
  ["General", "Email Connector", "System"], ["General", "Custom Fields", "System"], ["General", "Time Zone", "System"],
  ["Corporate Structure", "Departments", "System"], ["Corporate Structure", "Locations", "System"],
  ["Marketing", "Campaign Type", "Marketing"], ["Marketing", "Campaign Status", "Marketing"],
  ["Procurement", "Manufacturer", "Procurement"], ["Procurement", "Product Type", "Procurement"],
  ["Procurement", "Shipment Method", "Procurement"], ["Procurement", "Warehouse", "Procurement"],
  ["Project", "Project Board", "Project"], ["Project", "Project Type", "Project"], ["Project", "Project Status", "Project"],
  ["Sales", "Opportunity Status", "Sales"], ["Sales", "Opportunity Type", "Sales"], ["Sales", "Sales Probability", "Sales"],
  ["Service", "Service Board", "Service"], ["Service", "Priority", "Service"], ["Service", "SLA", "Service"],
  ["Service", "Source", "Service"], ["Service", "Knowledge Base Category", "Service"],
  ["Time & Expense", "Expense Type", "TimeAndExpense"], ["Time & Expense", "Work Role", "TimeAndExpense"],
  ["Time & Expense", "Work Type", "TimeAndExpense"], ["Time & Expense", "Time Period Setup", "TimeAndExpense"],
];

export const SETUP_SCREENS: SetupScreen[] = SCREENS.map(([category, name, moduleId], i) => {
  const mod = MODULES.find((m) => m[0] === moduleId)!;
  return { id: i + 1, category, name, description: `${category} / ${name}`, moduleIdentifier: moduleId, moduleName: mod[1], moduleDescription: mod[2] };
});

export const DEPARTMENTS = ["Admin", "Professional Services", "Sales", "Service", "Projects", "Finance"]
  .map((name, i) => ({ id: i + 1, identifier: name.replace(/[^A-Za-z]/g, "").slice(0, 15), name }));

export const STRUCTURE_LEVELS = ["Corporate (Level 1)", "Territory (Level 2)", "Market (Level 3)", "Region (Level 4)"]
  .map((name, i) => ({ id: i + 1, name }));

export const TIME_ZONE_SETUPS = ([
  ["Eastern", -5, "Eastern Standard Time", true], ["Central", -6, "Central Standard Time", true],
  ["Mountain", -7, "Mountain Standard Time", true], ["Pacific", -8, "Pacific Standard Time", true],
  ["GMT", 0, "GMT Standard Time", false],
] as Array<[string, number, string, boolean]>).map(([name, offset, zone, dst], i) => ({
  id: i + 1, name, offset, defaultFlag: i === 0, daylightSavingsFlag: dst, timeZone: { id: 10 + i, name: zone },
}));

export const LOCATIONS = [
  { id: 1, name: "Main Office", structureLevel: { id: 1, name: STRUCTURE_LEVELS[0].name }, timeZoneSetup: { id: 1, name: "Eastern" } },
  { id: 2, name: "Remote", structureLevel: { id: 2, name: STRUCTURE_LEVELS[1].name }, timeZoneSetup: { id: 2, name: "Central" } },
  { id: 3, name: "West Coast", structureLevel: { id: 2, name: STRUCTURE_LEVELS[1].name }, timeZoneSetup: { id: 4, name: "Pacific" } },
];

// Built-in roles: per module "AEDI" letters (N = None, M = My, A = All); modules not named are None.
export const SEED_ROLES: Array<{ name: string; admin?: boolean; levels: Record<string, string> }> = [
  { name: "Admin", admin: true, levels: {} },
  { name: "Finance", levels: { Finance: "AAAA", Company: "NNNA", Procurement: "NNNA", TimeAndExpense: "NNNA", Dashboard: "NNNA" } },
  { name: "Project Manager", levels: { Project: "AAMA", Company: "NNNA", TimeAndExpense: "MMMA", Service: "NNNA", Dashboard: "NNNA" } },
  { name: "Sales", levels: { Sales: "AAMA", Company: "AANA", Marketing: "MMNA", Procurement: "NNNA", Dashboard: "NNNA" } },
  { name: "Technician", levels: { Service: "AMNA", Company: "NNNA", TimeAndExpense: "MMMM", Project: "NMNM", Documents: "MMNA" } },
  { name: "Executive", levels: { Company: "NNNA", Finance: "NNNA", Marketing: "NNNA", Procurement: "NNNA", Project: "NNNA", Sales: "NNNA", Service: "NNNA", TimeAndExpense: "NNNA", Dashboard: "AAAA" } },
];

export function letterLevel(c: string | undefined): Level {
  return c === "A" ? "All" : c === "M" ? "My" : "None";
}
