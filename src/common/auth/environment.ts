/** The two worlds a credential acts in: test keys see and spend only test resources. */
export enum KeyEnvironment {
  Live = 'live',
  Test = 'test',
}
