/**
 * acp_local has no model catalogue of its own: each ACP agent offers its models through the session's
 * "model" config option, which `adapterConfig.model` sets. The list is empty on purpose; the board lets
 * the model be typed in.
 */
export interface AcpModel {
  id: string;
  label: string;
}

export async function listAcpModels(): Promise<AcpModel[]> {
  return [];
}
