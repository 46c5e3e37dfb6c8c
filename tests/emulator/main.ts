// CLI: node --require ts-node/register tests/emulator/main.ts --port <p> [--state <file>] [--latency-ms <n>] [--company <id>]
// Prints the seeded admin's credentials as one JSON line, then serves until SIGINT/SIGTERM.
import { startEmulator } from "./server";

function parseArgs(argv: string[]): { port: number; statePath?: string; latencyMs?: number; companyId?: string } {
  const out: { port: number; statePath?: string; latencyMs?: number; companyId?: string } = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const num = (name: string) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
      return n;
    };
    switch (argv[i]) {
      case "--port": out.port = num("--port"); break;
      case "--state": out.statePath = value(); break;
      case "--latency-ms": out.latencyMs = num("--latency-ms"); break;
      case "--company": out.companyId = value(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nusage: main.ts --port <p> [--state <file>] [--latency-ms <n>] [--company <id>]\n`);
    process.exit(2);
  }
  const emu = await startEmulator(args);
  // Handlers go in before the line is printed: whoever reads the line may signal at once.
  const stop = () => {
    emu.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const { companyId, publicKey, privateKey, clientId, memberIdentifier } = emu.admin;
  process.stdout.write(`${JSON.stringify({ url: emu.url, companyId, publicKey, privateKey, clientId, memberIdentifier, consoleToken: emu.consoleToken })}\n`);
}

main().catch((e) => {
  process.stderr.write(`emulator failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
