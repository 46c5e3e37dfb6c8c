// The Pulumi entry point (`main` in Pulumi.yaml): one stack output per integration, named after it
// (`pulumi stack output s365l`): roleId, roleName, memberId, memberIdentifier, compliant,
// actionsRequired, publicKey, privateKey (secret) and fingerprint.
import { cwManageStack } from "./program";

export = cwManageStack();
