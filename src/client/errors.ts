/** No feedback with the command's `time` as `requestTime` arrived in time. */
export class FeedbackTimeoutError extends Error {
  constructor(
    readonly requestTime: number,
    readonly timeoutMs: number,
    readonly feedbackTopic: string,
    readonly publishTopic: string,
  ) {
    super(
      `no feedback for the message sent at time=${requestTime} within ${timeoutMs} ms ` +
        `(published to ${publishTopic}, listening on ${feedbackTopic}). ` +
        'Is the controller running and connected with this serial? ' +
        'May this user publish there? (Under MQTT 3.1 a broker drops a forbidden publish silently.)',
    );
    this.name = 'FeedbackTimeoutError';
  }
}

/** A message on the feedback topic that is not valid JSON or not a valid feedback [live §4]. */
export class InvalidFeedbackError extends Error {
  constructor(
    reason: string,
    readonly payload: string,
  ) {
    super(`invalid feedback message: ${reason}`);
    this.name = 'InvalidFeedbackError';
  }
}

/** The client was closed while a send waited for its feedback, or a send was tried after close(). */
export class ClientClosedError extends Error {
  constructor() {
    super('the gridpilot client is closed');
    this.name = 'ClientClosedError';
  }
}

/** The controller answered with response_code ≥ 10: the command was rejected as a whole [live §4.1]. */
export class CommandRejectedError extends Error {
  constructor(
    readonly responseCode: number,
    readonly errors: ReadonlyArray<{ field: string; message: string }>,
  ) {
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    super(`command rejected with response_code ${responseCode}${detail ? ` (${detail})` : ''}`);
    this.name = 'CommandRejectedError';
  }
}
