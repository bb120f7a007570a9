export * from '../../src/testing/fake-openai-server.js';
