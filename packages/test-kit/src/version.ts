/** This package's version (kept equal to package.json by a test); it tags the probe image. */
export const TEST_KIT_VERSION = '0.1.0';
