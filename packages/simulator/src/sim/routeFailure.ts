// An exception that escapes a Vert.x route handler reaches the route's failure handler, which answers HTTP 200
// text/plain with the exception's getMessage() JSON-encoded (docs/mosip-facts.md, "Replies").

export class RouteFailure extends Error {
  /** The Java exception's getMessage(); null for a plain NullPointerException on Java 11. */
  readonly replyMessage: string | null;

  constructor(replyMessage: string | null, javaException: string) {
    super(`${javaException}${replyMessage === null ? '' : `: ${replyMessage}`}`);
    this.name = 'RouteFailure';
    this.replyMessage = replyMessage;
  }
}

/** A message-less NPE: the reply body is the 4-character literal `null`. */
export function nullPointer(): RouteFailure {
  return new RouteFailure(null, 'java.lang.NullPointerException');
}
