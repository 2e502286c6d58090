import { createContext, useContext } from "react";
import type { DisplayNames } from "../chat/displayNames";

/** The display names known for the conversation on screen. */
export const DisplayNamesContext = createContext<DisplayNames>({});

/** A message's author: their display name beside the unchanging username, or the username. */
export function AuthorName({ user, hidden = false }: { user: string; hidden?: boolean }) {
  const shown = useContext(DisplayNamesContext)[user];
  const className = hidden ? "author visually-hidden" : "author";
  if (!shown) return <span className={className}>{user}</span>;
  return (
    <span className={className}>
      {shown} <span className="username">@{user}</span>
    </span>
  );
}
