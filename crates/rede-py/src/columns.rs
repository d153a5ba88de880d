//! Python data to rede tables: a 2-D float array with column names, or named
//! columns, each a 1-D float array or a list of str.

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use rede::data::{Column, Table, TextColumn};

/// One column as Python passes it.
pub(crate) struct PyColumn(pub(crate) Column);

impl<'py> FromPyObject<'py> for PyColumn {
    fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(array) = ob.extract::<PyReadonlyArray1<'py, f64>>() {
            // Tables hold f32 columns (NaN marks a missing value), as the CSV reader makes them.
            return Ok(PyColumn(Column::Numeric(array.as_array().iter().map(|&v| v as f32).collect())));
        }
        if let Ok(array) = ob.extract::<PyReadonlyArray1<'py, f32>>() {
            return Ok(PyColumn(Column::Numeric(array.as_array().iter().copied().collect())));
        }
        if let Ok(text) = ob.extract::<Vec<String>>() {
            return Ok(PyColumn(Column::Text(text.iter().collect::<TextColumn>())));
        }
        Err(PyTypeError::new_err(format!("a column must be a 1-D float array or a list of str, got {}", type_name(ob))))
    }
}

/// The features: `(names, matrix)` for numeric arrays (read row by row, in one
/// pass, without a copy on the Python side), or a list of named columns (data frames).
pub(crate) enum Features {
    Matrix(Vec<String>, Vec<Column>),
    Columns(Vec<(String, PyColumn)>),
}

impl<'py> FromPyObject<'py> for Features {
    fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok((names, matrix)) = ob.extract::<(Vec<String>, Bound<'py, PyAny>)>() {
            let columns = if let Ok(a) = matrix.extract::<PyReadonlyArray2<'py, f64>>() {
                let view = a.as_array();
                let rows = view.rows().into_iter().map(|row| row.iter().map(|&v| v as f32).collect());
                split_columns(rows, names.len())
            } else if let Ok(a) = matrix.extract::<PyReadonlyArray2<'py, f32>>() {
                let view = a.as_array();
                split_columns(view.rows().into_iter().map(|row| row.to_vec()), names.len())
            } else {
                let kind = type_name(&matrix);
                return Err(PyTypeError::new_err(format!(
                    "features must be a 2-D float32 or float64 array, got {kind}"
                )));
            };
            return Ok(Features::Matrix(names, columns));
        }
        Ok(Features::Columns(ob.extract()?))
    }
}

fn split_columns(rows: impl Iterator<Item = Vec<f32>>, width: usize) -> Vec<Column> {
    let mut columns: Vec<Vec<f32>> = vec![Vec::new(); width];
    for row in rows {
        for (column, v) in columns.iter_mut().zip(row) {
            column.push(v);
        }
    }
    columns.into_iter().map(Column::Numeric).collect()
}

fn type_name(ob: &Bound<'_, PyAny>) -> String {
    ob.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// The table of the features, with the target column last when there is one.
pub(crate) fn table(features: Features, target: Option<(String, PyColumn)>) -> PyResult<Table> {
    let named: Vec<(String, Column)> = match features {
        Features::Matrix(names, columns) => names.into_iter().zip(columns).collect(),
        Features::Columns(columns) => columns.into_iter().map(|(name, c)| (name, c.0)).collect(),
    };
    let named = named.into_iter().chain(target.map(|(name, c)| (name, c.0))).collect();
    Table::new(named).map_err(crate::to_py)
}
