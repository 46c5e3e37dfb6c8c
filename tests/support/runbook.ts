// The runbook's role (seed/creating-cw-manage-api-keys.txt) as tests expect it, written out by
// hand: the matrix a stack declares, and the checklist a fresh role (every level None) yields.
import type { PermissionMatrix } from "../../providers/manage/permissions";
import type { LevelChange } from "../emulator/console-client";

export const RUNBOOK: PermissionMatrix = {
  Companies: { "Company Maintenance": { inquire: "All" } },
  Finance: {
    "Agreement Invoicing": { inquire: "All" },
    Agreements: { add: "All", edit: "All", inquire: "All" },
    Invoicing: { inquire: "All" },
  },
  Procurement: { "Product Catalog": { inquire: "All" }, Products: { inquire: "All" } },
  System: { "Table Setup": { edit: "All", inquire: "All", customize: ["Agreements / Batch"] } },
};

/** In catalog order. */
export const RUNBOOK_LEVEL_ACTIONS = [
  "Companies › Company Maintenance: set Inquire to All (now None)",
  "Finance › Agreement Invoicing: set Inquire to All (now None)",
  "Finance › Agreements: set Add to All (now None)",
  "Finance › Agreements: set Edit to All (now None)",
  "Finance › Agreements: set Inquire to All (now None)",
  "Finance › Invoicing: set Inquire to All (now None)",
  "Procurement › Product Catalog: set Inquire to All (now None)",
  "Procurement › Products: set Inquire to All (now None)",
  "System › Table Setup: set Edit to All (now None)",
  "System › Table Setup: set Inquire to All (now None)",
];

export const RUNBOOK_CUSTOMIZE_ACTION = 'System › Table Setup: allow "Agreements / Batch" under Customize';

/** The same levels as the admin's clicks in the emulator console (the stand-in for the UI). */
export const RUNBOOK_CLICKS: LevelChange[] = [
  { module: "Companies", function: "Company Maintenance", inquire: "All" },
  { module: "Finance", function: "Agreement Invoicing", inquire: "All" },
  { module: "Finance", function: "Agreements", add: "All", edit: "All", inquire: "All" },
  { module: "Finance", function: "Invoicing", inquire: "All" },
  { module: "Procurement", function: "Product Catalog", inquire: "All" },
  { module: "Procurement", function: "Products", inquire: "All" },
  { module: "System", function: "Table Setup", edit: "All", inquire: "All" },
];
