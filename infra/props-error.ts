/** One invalid construct prop: which one, and a message giving the value, what is allowed and the fix. */
export interface PropProblem {
  readonly prop: string;
  readonly message: string;
}

/** The construct's props are invalid; thrown at synth time with every problem at once. */
export class RevocationAuthorizerPropsError extends Error {
  readonly code = 'ERR_INVALID_PROPS';
  constructor(readonly problems: readonly PropProblem[]) {
    super(`invalid RevocationAuthorizer props:\n${problems.map((p) => `  - ${p.prop}: ${p.message}`).join('\n')}`);
    this.name = new.target.name;
  }
}
