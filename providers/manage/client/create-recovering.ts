// Creating over a link that may break: a POST whose outcome is unknown is never re-sent blindly.
// First look the object up by its natural key; only when it is certainly absent, POST again.
import { ManageApiError } from "./errors";

export async function createRecovering<T>(
  post: () => Promise<T>,
  lookup: () => Promise<T | undefined>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post();
    } catch (e) {
      // A re-POST told "already exists": the earlier POST landed after our lookup missed it.
      if (attempt > 1 && e instanceof ManageApiError && e.isObjectExists) {
        const landed = await lookup();
        if (landed !== undefined) return landed;
        throw e;
      }
      if (!(e instanceof ManageApiError) || !e.outcomeUnknown) throw e;
      let landed: T | undefined;
      try {
        landed = await lookup();
      } catch (lookupError) {
        throw new Error(
          `${e.message}. Looking the object up afterwards failed too (${lookupError instanceof Error ? lookupError.message : String(lookupError)}), ` +
            `so it may exist without this stack knowing it: if the next run reports it as already existing, set adopt: true on it once.`,
        );
      }
      if (landed !== undefined) return landed;
      if (attempt >= attempts) throw e;
    }
  }
}
