// Values known only when the stack deploys (the built image's digest, cloud resource names);
// the Pulumi program resolves them, `npm run synth` gets them from a mocked run.
export interface DeployValues {
  /** The MCP server image, by digest; it also runs the backup. */
  readonly mcpImage: string;
  /** The backup bucket and where it is. */
  readonly bucket: string;
  readonly s3Region: string;
  /** In-cluster object store endpoint (local platform); absent: AWS S3. */
  readonly s3Endpoint?: string;
  /** Customer KMS key the backup objects are encrypted with (aws platform). */
  readonly kmsKeyArn?: string;
  /** The IAM role the backup ServiceAccount assumes through the cluster's OIDC provider (aws). */
  readonly backupRoleArn?: string;
}
