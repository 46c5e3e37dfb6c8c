export * from "./client";
export * from "./connection";
export * from "./errors";
export * as conditions from "./conditions";
export * from "./schemas";
export * from "./create-recovering";
