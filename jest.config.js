/** Unit specs live beside the code (src/**\/*.spec.ts); e2e specs in test/ (*.e2e-spec.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 60000,
  // e2e files start services and databases of their own; one at a time suits a 2-core machine.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/utils/summary-reporter.js'],
};
