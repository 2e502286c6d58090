/** Display names of the people whose messages are on screen, looked up once each per page
 * load (a batch of new authors at a time); a name changed later shows after a reload. */
import { useEffect, useRef, useState } from "react";
import { api } from "../api/http";
import { limits } from "../api/protocol";

export type DisplayNames = Record<string, string>;

export function useDisplayNames(users: string[]): DisplayNames {
  const [names, setNames] = useState<DisplayNames>({});
  const asked = useRef(new Set<string>());
  const key = [...new Set(users)].sort().join(" ");

  useEffect(() => {
    const batch = key.split(" ").filter((user) => user && !asked.current.has(user));
    for (let i = 0; i < batch.length; i += limits.users_lookup_max) {
      const names = batch.slice(i, i + limits.users_lookup_max);
      names.forEach((user) => asked.current.add(user));
      api.users(names).then(
        (found) => {
          const shown = found.filter((p) => p.display_name).map((p) => [p.username, p.display_name ?? ""]);
          if (shown.length) setNames((current) => ({ ...current, ...Object.fromEntries(shown) }));
        },
        // Shown by username meanwhile; asked again with the next new author.
        () => names.forEach((user) => asked.current.delete(user)),
      );
    }
  }, [key]);
  return names;
}
