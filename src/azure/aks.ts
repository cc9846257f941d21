// AKS clusters: fetch the user kubeconfig through ARM (listClusterUserCredential), so a deploy needs no
// `az aks get-credentials` first.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AccelError } from '../domain/errors';
import { clientOptions, type ArmContext } from './armContext';
import { azureCall } from './azureErrors';

export interface AksClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export async function aksUserKubeconfig(ctx: ArmContext, cluster: AksClusterRef): Promise<string> {
  const client = new ContainerServiceClient(ctx.credential, cluster.subscriptionId, clientOptions(ctx));
  const result = await azureCall(`get the user credentials of AKS cluster ${cluster.name}`, () =>
    client.managedClusters.listClusterUserCredentials(cluster.resourceGroup, cluster.name),
  );
  const value = result.kubeconfigs?.[0]?.value;
  if (!value || value.length === 0) {
    throw new AccelError(
      'Internal',
      `AKS cluster ${cluster.name} returned no kubeconfig. Check the cluster is running (\`az aks show -g ${cluster.resourceGroup} -n ${cluster.name}\`) and retry.`,
    );
  }
  return Buffer.from(value).toString('utf8');
}
