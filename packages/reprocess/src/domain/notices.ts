// What the parts of a run below it (the source, the filters) tell the operator: notes and warnings. The run's
// event sink (run/events.ts) takes these and more.

export type Notice = { type: 'note'; message: string } | { type: 'warning'; message: string };

export type NoticeSink = (notice: Notice) => void;
