export declare const appRoot: string;
export declare const appDist: string;
export declare function appIsStale(): boolean;
export declare function buildApp(outDir?: string): Promise<{ dir: string; jsBytes: number }>;
