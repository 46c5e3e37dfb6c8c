// Bumped with every change to provider code: it is an input of every resource, so a new
// provider text reaches state even when nothing else changed (reference/pulumi-dynamic.md §3).
export const PROVIDER_VERSION = "0.1.0";
