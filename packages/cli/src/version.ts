/** The CLI's version (equal to package.json's; a test keeps them in step). */
export const CLI_VERSION = '0.1.0';
