import type { LanguageModelV3 } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { PriceEntry } from '../config/index.js';
import { BudgetExceededError } from '../errors/index.js';
import { BudgetGuard, budgetMiddleware, type BudgetLimits } from '../model/middleware/index.js';

/** Money and tokens spent. */
export interface Spend {
  usd: number;
  tokens: number;
}

/** Options of {@link TeamBudgets}. */
export interface TeamBudgetsOptions {
  /** Each team's share of the run budget. */
  share: { usd?: number; tokens?: number };
  /** What a team's own agents (`team/…`, its judge included) spent in this session. */
  ownSpent: (teamId: string) => Spend;
  /** What the agents serving every team (the aggregator) spent in this session. */
  sharedSpent: () => Spend;
  /** What each team had spent in earlier sessions of the run (from a checkpoint). */
  before?: Record<string, Spend>;
  /** The run's own budget: when every team is dropped for its share, the run stops with this budget's message. */
  run?: { limits: BudgetLimits; spent(): Spend };
}

const add = (a: Spend, b: Spend): Spend => ({ usd: a.usd + b.usd, tokens: a.tokens + b.tokens });
const none = (): Spend => ({ usd: 0, tokens: 0 });

/**
 * Each team's share of a cross-team run's budget. A team is charged for its own agents, for the judge that scores
 * its proposals, and for an equal part of every merge made for it (the aggregator serves all teams). A team's calls
 * go through its own guard ({@link TeamBudgets.guard}): the call that would take the team past its share fails with
 * a {@link BudgetExceededError} whose `scope` names the team, so that team is dropped and the others carry on.
 */
export class TeamBudgets {
  private readonly charged = new Map<string, Spend>();
  private readonly guards = new Map<string, BudgetGuard>();
  constructor(private readonly options: TeamBudgetsOptions) {}

  /** The share each team may spend. */
  get share(): { usd?: number; tokens?: number } {
    return this.options.share;
  }

  /** What a team has spent: its own calls, its part of the merges, and earlier sessions. */
  spent(teamId: string): Spend {
    return add(
      add(this.options.ownSpent(teamId), this.charged.get(teamId) ?? none()),
      this.options.before?.[teamId] ?? none(),
    );
  }

  /** Splits a shared cost equally between teams. */
  charge(teamIds: readonly string[], cost: Spend): void {
    if (teamIds.length === 0) return;
    for (const id of teamIds)
      this.charged.set(
        id,
        add(this.charged.get(id) ?? none(), { usd: cost.usd / teamIds.length, tokens: cost.tokens / teamIds.length }),
      );
  }

  /**
   * Runs work done for several teams (a merge) and charges what the shared agents spent meanwhile to those teams in
   * equal parts, whether the work succeeds or not. Shared work runs while no team works, so the difference is its own.
   */
  async shared<T>(teamIds: readonly string[], work: () => Promise<T>): Promise<T> {
    const before = this.options.sharedSpent();
    try {
      return await work();
    } finally {
      const after = this.options.sharedSpent();
      this.charge(teamIds, { usd: after.usd - before.usd, tokens: after.tokens - before.tokens });
    }
  }

  /** The guard of a team's calls (one per team). */
  guard(teamId: string): BudgetGuard {
    let guard = this.guards.get(teamId);
    if (!guard) {
      const { usd, tokens } = this.options.share;
      guard = new BudgetGuard(
        { ...(usd !== undefined ? { maxUsd: usd } : {}), ...(tokens !== undefined ? { maxTokens: tokens } : {}) },
        { spent: () => this.spent(teamId) },
        { usd: 0, tokens: 0 },
        teamId,
      );
      this.guards.set(teamId, guard);
    }
    return guard;
  }

  /** A team's model wrapped in its guard: a call that would take the team past its share is refused. */
  wrap(teamId: string, model: LanguageModelV3, price: PriceEntry | undefined): LanguageModelV3 {
    return wrapLanguageModel({ model, middleware: budgetMiddleware({ guard: this.guard(teamId), price }) });
  }

  /** Why a team is over its share, or undefined. */
  excess(teamId: string): string | undefined {
    const { share } = this.options;
    const used = this.spent(teamId);
    if (share.usd !== undefined && used.usd > share.usd)
      return `exceeded its share of the budget ($${used.usd.toFixed(4)} of $${share.usd.toFixed(4)})`;
    if (share.tokens !== undefined && used.tokens > share.tokens)
      return `exceeded its share of the budget (${Math.round(used.tokens)} of ${Math.floor(share.tokens)} tokens)`;
    return undefined;
  }

  /** Each team's spending so far, for a checkpoint (a resumed run starts from it). */
  record(teamIds: readonly string[]): Record<string, Spend> {
    return Object.fromEntries(teamIds.map((id) => [id, this.spent(id)]));
  }

  /**
   * The run-level stop once every team was dropped for its share: the run's budget message (what the run spent
   * of its whole budget), so the run ends as any run that reached its budget, resumable with a larger one.
   */
  runStop(last: BudgetExceededError): BudgetExceededError {
    const run = this.options.run;
    const max = last.limit === 'usd' ? run?.limits.maxUsd : run?.limits.maxTokens;
    if (!run || max === undefined)
      return new BudgetExceededError({
        limit: last.limit,
        max: last.max,
        spent: last.spent,
        projected: last.projected,
      });
    const spent = run.spent()[last.limit];
    return new BudgetExceededError({
      limit: last.limit,
      max,
      spent,
      projected: spent + (last.projected - last.spent),
    });
  }
}
