// Placeholder until the S3 event handler lands: lets `cdk synth` bundle the entry point.
export async function handler(event: unknown): Promise<{ ok: boolean }> {
  console.log(JSON.stringify({ level: 'info', msg: 'event', event }));
  return { ok: true };
}
