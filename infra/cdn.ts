// CloudFront in front of the bucket's public/ prefix: HTTPS only, compressed, cached as the
// function's Cache-Control says, with security and CORS headers on every answer.
import { Aws, Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PUBLIC_PREFIX } from '../src/core/layout.js';
import { DIRECTORY_INDEX_SOURCE } from './directory-index.js';
import { FEED_BROWSER_VIEW_SOURCE } from './feed-browser-view.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface CdnProps {
  bucket: s3.Bucket;
  logBucket: s3.Bucket;
  domainName?: string;
  certificateArn?: string;
}

export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    const { bucket } = props;
    const originPath = '/' + PUBLIC_PREFIX.replace(/\/$/, '');

    // The origin path maps every viewer path into public/, so content/ and state/ have no URL;
    // the bucket policy below makes sure of it a second time by granting CloudFront public/* only
    // (S3BucketOrigin.withOriginAccessControl would grant the whole bucket).
    const oac = new cloudfront.S3OriginAccessControl(this, 'OriginAccess', {
      description: 'Syndic: CloudFront reads public/ only',
      signing: cloudfront.Signing.SIGV4_ALWAYS,
    });
    const origin = S3BucketOrigin.withBucketDefaults(bucket, { originPath, originAccessControlId: oac.originAccessControlId });

    // min 0 / max 1 day: the Cache-Control that the function sets on each object decides (feeds
    // a few minutes); the default only covers objects without one. CloudFront answers
    // conditional GETs from the cached ETag / Last-Modified that S3 returns.
    const cachePolicy = new cloudfront.CachePolicy(this, 'Cache', {
      comment: 'Syndic: honour the origin Cache-Control',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.minutes(5),
      maxTtl: Duration.days(1),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Syndic: security headers, CORS for browser-based feed readers',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
      },
      // Web feed readers fetch from the browser; the feeds are public, so any origin may read them.
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlExposeHeaders: ['ETag', 'Last-Modified'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.days(1),
        originOverride: true,
      },
      // Storage details that readers have no use for.
      removeHeaders: ['x-amz-server-side-encryption', 'x-amz-version-id'],
    });

    const directoryIndex = new cloudfront.Function(this, 'DirectoryIndex', {
      comment: 'Syndic: /dir/ serves /dir/index.html',
      code: cloudfront.FunctionCode.fromInline(DIRECTORY_INDEX_SOURCE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    const feedBrowserView = new cloudfront.Function(this, 'FeedBrowserView', {
      comment: 'Syndic: browsers opening a feed get application/xml, so its XSL applies',
      code: cloudfront.FunctionCode.fromInline(FEED_BROWSER_VIEW_SOURCE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    const custom = props.domainName && props.certificateArn
      ? {
          domainNames: [props.domainName],
          certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
          // Only a custom certificate lets us choose the TLS floor; *.cloudfront.net is AWS's.
          minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        }
      : {};

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Syndic feeds',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        compress: true,
        cachePolicy,
        responseHeadersPolicy: headers,
        functionAssociations: [
          { function: directoryIndex, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
          { function: feedBrowserView, eventType: cloudfront.FunctionEventType.VIEWER_RESPONSE },
        ],
      },
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      ...custom,
    });

    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontReadsPublicOnly',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${PUBLIC_PREFIX}*`)],
        conditions: {
          StringEquals: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${this.distribution.distributionId}` },
        },
      }),
    );
  }
}
