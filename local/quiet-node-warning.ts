/**
 * Imported first by the local stack and the CLIs: the AWS SDK warns once per process that its
 * releases after January 2027 will need Node 22. On the Node 20 these tools support, that warning
 * says nothing about what the user ran, so it stays out of their output (an explicit setting wins).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
