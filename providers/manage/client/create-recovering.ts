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
      if (!(e instanceof ManageApiError) || !e.outcomeUnknown) throw e;
      const landed = await lookup();
      if (landed !== undefined) return landed;
      if (attempt >= attempts) throw e;
    }
  }
}
