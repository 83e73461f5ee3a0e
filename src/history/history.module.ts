import { Module } from '@nestjs/common';
import { ExportController } from './export/export.controller';
import { WorkspaceEventExport } from './export/workspace-event-export';

/** history.md for analysts: the workspace's log, exported (and replayed by the CLI from it). */
@Module({
  controllers: [ExportController],
  providers: [WorkspaceEventExport],
})
export class HistoryModule {}
