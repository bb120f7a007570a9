export { passAtK, meanPassAtK } from './pass-at-k.js';
export { proportion, type Proportion } from './confidence.js';
export { conceptCoverage, lemmas, type Coverage } from './coverage.js';
export {
  datasetPath,
  datasetFiles,
  loadChoiceQuestions,
  loadConceptSets,
  loadHumanEval,
  loadSrdd,
  parseCsv,
  type ChoiceQuestion,
  type DatasetName,
  type HumanEvalProblem,
  type SrddTask,
} from './datasets.js';
export {
  checkHumanEval,
  codeFromAnswer,
  humanEvalProgram,
  humanEvalScores,
  type HumanEvalCheck,
  type HumanEvalCheckOptions,
} from './humaneval.js';
export { harnessChecks } from './humaneval-fixtures.js';
export { answerWithMethod, evalMethodSchema, methodLabel, type EvalMethod, type MethodAnswer } from './methods.js';
export {
  budgetShare,
  evalDatasetSchema,
  evalReport,
  evaluate,
  type EvalDataset,
  type EvalRow,
  type EvalSpec,
  type EvalSummary,
  type EvaluateOptions,
} from './evaluate.js';
export { fitLogistic, logistic, type LogisticFit, type LogisticParams } from './logistic-fit.js';
export { paretoFront, renderSvg, svgToPng } from './plots.js';
export { evalRunConfigSchema, type EvalRunConfig } from './eval-job.js';
export { evalChildRuns } from './eval-session.js';
export { cellRow, sweep, sweepGridSchema, type SweepOptions, type SweepResult, type SweepRow } from './sweep.js';
export {
  judgePrompt,
  judgeText,
  parseJudgement,
  textJudgeSchema,
  type JudgeResult,
  type TextJudgement,
} from './text-judge.js';
