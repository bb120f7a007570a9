export {
  defaultRoles,
  loadRoles,
  roleSchema,
  roleBookInputSchema,
  systemPrompt,
  checkRoleNames,
  closestName,
  type Role,
  type RoleBook,
} from './roles.js';
export { renderTemplate } from './template.js';
export {
  runDialogue,
  findConclusion,
  type Agent,
  type DialogueOptions,
  type DialogueResult,
  type DialogueTurn,
  type DialogueEnd,
} from './dialogue.js';
export {
  critiqueSchema,
  modelCritic,
  parseCritique,
  rankAttempts,
  refinementPrompt,
  safetyRubric,
  selfCorrect,
  type Attempt,
  type CheckResult,
  type Critique,
  type RefineContext,
  type RoundReport,
  type SelfCorrectOptions,
  type SelfCorrectResult,
  type StopRule,
} from './self-correct.js';
