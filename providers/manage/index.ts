// The package's public surface: four resources and the types their inputs use.
export { SecurityRole, SecurityRoleArgs } from "./security-role";
export { ExistingSecurityRole, ExistingSecurityRoleArgs } from "./existing-security-role";
export { SecurityRolePermissions, SecurityRolePermissionsArgs, Enforcement } from "./security-role-permissions";
export { ApiMember, ApiMemberArgs } from "./api-member";
export { ApiKey, ApiKeyArgs, handOverSteps, fingerprintOf } from "./api-key";
export { PermissionMatrix, FunctionSpec, Level, MatchMode, permissionMatrixSchema } from "./permissions";
export { PROVIDER_VERSION } from "./version";
