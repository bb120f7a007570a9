import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'BudgetExceededError';

/**
 * The next model call would take the run past its cost or token budget. Work
 * done so far is kept; the run can be resumed with a larger budget.
 */
export class BudgetExceededError extends CrosstalkError {
  /** Which limit was hit. */
  readonly limit: 'usd' | 'tokens';
  /** The configured limit (USD or tokens). */
  readonly max: number;
  /** What had been spent when the run stopped (USD or tokens). */
  readonly spent: number;
  /** What the refused call would have brought the spending to. */
  readonly projected: number;
  /**
   * Whose share of the budget was reached, when it is a part's (a team of a cross-team run) rather than the
   * whole run's: that part stops, the run goes on.
   */
  readonly scope: string | undefined;
  constructor(options: { limit: 'usd' | 'tokens'; max: number; spent: number; projected: number; scope?: string }) {
    const unit = (v: number) => (options.limit === 'usd' ? `$${v.toFixed(4)}` : `${Math.round(v)} tokens`);
    super({
      name,
      code: 'BUDGET_EXCEEDED',
      exitCode: ExitCode.budget,
      message:
        `${options.scope ? `${options.scope}'s share of the budget` : 'budget'} reached: ` +
        `spent ${unit(options.spent)} of ${unit(options.max)}; ` +
        `the next call would bring it to about ${unit(options.projected)}`,
    });
    this.limit = options.limit;
    this.max = options.max;
    this.spent = options.spent;
    this.projected = options.projected;
    this.scope = options.scope;
  }
  static override isInstance(error: unknown): error is BudgetExceededError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}
