// Values handed from test/global-setup.ts to test files through project.provide() / inject().
declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

export {};
