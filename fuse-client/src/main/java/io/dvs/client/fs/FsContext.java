package io.dvs.client.fs;

import io.dvs.client.data.FileData;
import io.dvs.client.meta.MetadataJournal;
import io.dvs.client.meta.Namespace;
import java.util.function.LongSupplier;

/**
 * What the operation groups share: the namespace, file data, the journal and the handle table.
 *
 * @param volumeSizeBytes the thin volume's logical size (statfs shows it)
 * @param usedBlocks blocks of the volume that hold data, for statfs
 */
record FsContext(Namespace namespace, FileData data, MetadataJournal journal, Handles handles,
    long volumeSizeBytes, LongSupplier usedBlocks, LongSupplier nowNs) {}
