// The offline hint list: the module and function labels of System › Security Roles as the Manage
// UI shows them, and the setup screens a Customize list offers. check-config and the program use
// it to catch a typo before anything talks to a tenant ("did you mean"). It is not the authority:
// each tenant is still asked at apply time (SecurityRolePermissions matches by the tenant's own
// labels). Copied once, by hand, from the labels in tests/emulator/catalog.ts; a label a real
// tenant has but this list lacks goes under `cw-manage-provisioner:extraKnown` in the stack file.

/** Module label -> its function labels. A trailing " *" marks a function with a Customize list. */
const MODULES: Record<string, string[]> = {
  Companies: [
    "Company Maintenance", "Company Finance", "Company/Contact Group Maintenance", "Configurations *", "Contacts",
    "CRM Activities", "Notes", "Team Members", "Manage Attachments", "Sent Emails", "Delete Company", "Reports *",
  ],
  Finance: [
    "Agreement Invoicing", "Agreement Sales", "Agreements *", "Billing View Time", "Invoicing", "GL Interface",
    "Close Accounting Period", "Billing Adjustments", "Invoice Templates", "Reports *",
  ],
  Marketing: ["Campaigns", "Groups", "Marketing Manager", "Email Templates", "Reports *"],
  Procurement: [
    "Product Catalog", "Products", "Purchase Orders", "Purchasing Approvals", "Inventory", "Receiving",
    "Picking and Shipping", "RMA", "Reports *",
  ],
  Project: [
    "Project Headers", "Project Tickets", "Project Notes", "Project Scheduling *", "Project Team", "Project Templates",
    "Project Finance", "Project Phases", "Close Projects", "Reports *",
  ],
  Sales: [
    "Opportunities", "Sales Activities", "Forecast", "Sales Orders", "Quotes", "Commissions", "Sales Funnel",
    "Sales Finance", "Close Opportunity", "Reports *",
  ],
  "Service Desk": [
    "Service Tickets", "Resource Scheduling *", "Close Service Tickets", "Knowledge Base", "Service Templates",
    "Change Approvals", "Dispatch", "SLA", "Ticket Finance", "Service Board Setup", "Reports *",
  ],
  System: [
    "Table Setup *", "Security Roles", "Member Maintenance", "Manage Hosted API *", "My Account *", "Mass Maintenance *",
    "Custom Menu Entry *", "Report Writer", "Workflow Rules", "Audit Trail", "My Company", "Custom Fields",
    "Portal Configuration", "Integrator Login", "Reports *",
  ],
  "Time & Expense": [
    "Time Entry", "Expense Entry", "Time Sheet Approval", "Expense Approval", "Time Sheets", "Expense Reports",
    "Team Time Sheets", "Reports *",
  ],
  Dashboard: ["Dashboard", "Standard Pods", "Custom Pods"],
  Documents: ["Documents", "Templates"],
};

/** The entries a Customize list offers, as the UI shows them ("Category / Name"). */
export const KNOWN_CUSTOMIZE_ITEMS: readonly string[] = [
  "Agreements / Batch", "Agreements / Type", "Agreements / Addition Type",
  "Company / Company Type", "Company / Company Status", "Company / Contact Type", "Company / Configuration Type",
  "Company / Market Description", "Company / Team Role",
  "Finance / Billing Terms", "Finance / Currency", "Finance / Invoice Template", "Finance / Tax Code",
  "Finance / Accounting Package",
  "General / Manage Hosted API", "General / Calendar Setup", "General / Holiday List", "General / Email Connector",
  "General / Custom Fields", "General / Time Zone",
  "Corporate Structure / Departments", "Corporate Structure / Locations",
  "Marketing / Campaign Type", "Marketing / Campaign Status",
  "Procurement / Manufacturer", "Procurement / Product Type", "Procurement / Shipment Method", "Procurement / Warehouse",
  "Project / Project Board", "Project / Project Type", "Project / Project Status",
  "Sales / Opportunity Status", "Sales / Opportunity Type", "Sales / Sales Probability",
  "Service / Service Board", "Service / Priority", "Service / SLA", "Service / Source", "Service / Knowledge Base Category",
  "Time & Expense / Expense Type", "Time & Expense / Work Role", "Time & Expense / Work Type",
  "Time & Expense / Time Period Setup",
];

export interface KnownFunction {
  label: string;
  /** The UI shows a Customize link for it. */
  customize: boolean;
}

/** Module label -> its functions. */
export const KNOWN_FUNCTIONS: Readonly<Record<string, readonly KnownFunction[]>> = Object.fromEntries(
  Object.entries(MODULES).map(([module, fns]) => [
    module,
    fns.map((f) => ({ label: f.replace(/ \*$/, ""), customize: f.endsWith(" *") })),
  ]),
);
