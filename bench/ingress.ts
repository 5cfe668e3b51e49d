export async function benchIngress(): Promise<void> {}
