export { hashString, seededRandom, unitFromText, estimateTokens, type Random } from './hash.js';
