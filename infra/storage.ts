// The content bucket (articles in, feeds out, private state) and the bucket that receives
// its access logs and CloudFront's.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StorageProps {
  oldVersionDays: number;
  logRetentionDays: number;
}

export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    this.logBucket = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes through an ACL grant, so this bucket alone keeps ACLs
      // enabled; "preferred" still makes the bucket owner own every delivered log object.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Audit trail: outlives the stack, and expires on its own.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // An overwritten or deleted article stays recoverable for oldVersionDays.
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(props.oldVersionDays),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // The publishers' articles must survive `cdk destroy`.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
