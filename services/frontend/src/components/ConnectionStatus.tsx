import type { ConnectionStatus as Status } from "../chat/state";

const LABELS: Record<Status, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function ConnectionStatus({ status }: { status: Status }) {
  return (
    <p role="status" className={`connection connection-${status}`} data-status={status}>
      <span className="dot" aria-hidden="true" />
      {LABELS[status]}
    </p>
  );
}
